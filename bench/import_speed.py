"""How fast `import_billing` takes billing's exchange files, beside a plain COPY of the same rows.

    .venv/bin/python bench/import_speed.py [--charges 100000 1000000] [--periods 24]
                                           [--output ...] [--no-docs] [--label ...]

For each size (the number of rows of charges.csv) it generates the exchange files of
shared/EXCHANGE.md for ceil(charges / periods) accounts of one supplier — accounts.csv,
meters.csv (one electricity meter an account), readings.csv, charges.csv and payments.csv
(one row per account and month for the last --periods months): UTF-8 without a BOM, `;`,
decimal commas and both date forms, the way 1C exports them, every row valid. Then:

1. a throw-away PostgreSQL database (portal_bench_import on 127.0.0.1:5432, or $BENCH_IMPORT_DATABASE; dropped and
   created for each size), migrated, with one tenant and one supplier;
2. per file, in dependency order: a plain `COPY … FROM STDIN (FORMAT csv)` of the file into
   a bare table with the same columns, all text, no index (the floor: PostgreSQL parses the
   CSV); the same rows through Python's csv reader and psycopg's `write_row` (the floor of
   any import that parses in Python); then `manage.py import_billing --tenant bench FILE
   --report-json …` in a subprocess of its own;
3. the same files imported again (every row must come back unchanged).

Each import subprocess reports its own wall time, and where it went: parsing in Python
(`read_rows`, including the encoding check), COPY into staging, `ANALYZE staging`, the resolve
CTAS, the INSERT, the UPDATE, the invoice rebuild (charges), the commit and the rest (Django
setup is outside the timer); its peak RSS comes from os.wait4. The 1-minute load average is
recorded before and after every import, since the machine's 2 cores are shared.

Results go to --output (JSON, default bench/results/import_speed.json), are printed, and
replace the section between `<!-- import:begin -->` and `<!-- import:end -->` of
docs/performance.md unless --no-docs is given. `--explain` prints EXPLAIN ANALYZE of the
charges' resolve query on the last size (run after the imports, on the staged file again).
"""

import argparse
import csv
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from shared import ROOT, docs_replace, portal_env

sys.path.insert(0, str(ROOT))
from billing.demo_data import COLUMNS as EXCHANGE_COLUMNS  # noqa: E402  (after the path)

DEFAULT_OUTPUT = ROOT / "bench" / "results" / "import_speed.json"
# Several people may share the machine's PostgreSQL and Redis: each may name their own.
DATABASE = os.environ.get("BENCH_IMPORT_DATABASE", "portal_bench_import")
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
ENV = portal_env(DATABASE, redis_url=os.environ.get("BENCH_IMPORT_REDIS_URL", "redis://127.0.0.1:6379/12"))
TENANT = "bench"
# The import's code: a run with local changes to it says so.
ENGINE = ("portal/exchange", "billing/exchange.py", "meters/exchange.py")
SUPPLIER = "bench-energo"
KINDS = ("accounts", "meters", "readings", "charges", "payments")
# The columns of billing's files, as the demo writes them (the exchange format's order).
COLUMNS = {kind: EXCHANGE_COLUMNS[kind] for kind in KINDS}
GOALS = {"million_charges_s": 30, "million_charges_again_s": 15, "peak_rss_mb": 300, "growth": "linear"}


# --- the files ----------------------------------------------------------------------------

SURNAMES = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов", "Новиков", "Фёдоров"]
NAMES = ["Александр", "Сергей", "Дмитрий", "Андрей", "Алексей", "Иван", "Михаил", "Николай"]
PATRONYMICS = ["Александрович", "Сергеевич", "Петрович", "Иванович", "Викторович"]
STREETS = ["ул. Ленина", "ул. Есенина", "Московское ш.", "ул. Гагарина", "пр. Победы", "ул. Соборная"]


def rub(kopecks):
    """Kopecks as billing writes roubles: decimal comma, two decimals."""
    sign = "-" if kopecks < 0 else ""
    kopecks = abs(kopecks)
    return f"{sign}{kopecks // 100},{kopecks % 100:02d}"


def months_back(today, count):
    """The first days of the ``count`` months before ``today``'s, oldest first."""
    year, month = today.year, today.month
    months = []
    for _ in range(count):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        months.append(date(year, month, 1))
    return months[::-1]


def generate(directory, accounts, periods, today):
    """Write the five files for ``accounts`` accounts; {kind: (path, rows)}."""
    months = months_back(today, periods)
    files = {}
    writers = {}
    handles = []
    for kind in KINDS:
        path = directory / f"{kind}.csv"
        handle = open(path, "w", encoding="utf-8", newline="")
        handles.append(handle)
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(COLUMNS[kind])
        writers[kind] = writer
        files[kind] = [path, 0]
    try:
        for index in range(accounts):
            number = f"{600000000 + index}"
            legal = index % 50 == 49
            holder = (f"ООО «Ромашка-{index}»" if legal else
                      f"{SURNAMES[index % 10]} {NAMES[index % 8]} {PATRONYMICS[index % 5]}")
            writers["accounts"].writerow([
                SUPPLIER, number, "legal" if legal else "individual", holder,
                f"г. Рязань, {STREETS[index % 6]}, д. {index % 150 + 1}, кв. {index % 300 + 1}",
                f"Д-{index}" if legal else "", f"{(index * 7919) % 10000:04d}",
                f"+7 9{index % 100:02d} {index % 1000:03d}-{index % 100:02d}-{(index // 7) % 100:02d}",
                f"user{index}@example.ru" if index % 3 == 0 else "",
            ])
            serial = f"E{index:08d}"
            writers["meters"].writerow([SUPPLIER, number, serial, "electricity", "1", "6", "1",
                                        f"{index % 28 + 1:02d}.03.2021", "2031-03-01"])
            files["accounts"][1] += 1
            files["meters"][1] += 1
            value = 1000 + index % 5000  # tenths of kWh
            balance = (index % 7) * 10000 - 20000
            charged_before = 0
            for number_of_month, month in enumerate(months):
                used = 1200 + (index * 31 + number_of_month * 17) % 3000  # tenths of kWh
                value += used
                writers["readings"].writerow([SUPPLIER, number, serial, "1", f"{value // 10},{value % 10}",
                                              f"{month.year}-{month.month:02d}-20", "amr"])
                charged = round(used * 657 / 10)  # kopecks at 6.57 ₽/kWh
                recalculated = -1234 if (index + number_of_month) % 10 == 0 else 0
                paid = charged_before
                closing = balance + charged + recalculated - paid
                due = date(month.year + month.month // 12, month.month % 12 + 1, 10)
                writers["charges"].writerow([
                    SUPPLIER, number, f"{month.year}-{month.month:02d}", "electricity", rub(balance),
                    f"{used // 10},{used % 10}", "kWh", "6,57", rub(charged), rub(recalculated),
                    "перерасчёт по показаниям" if recalculated else "", rub(paid), rub(closing),
                    f"{number}-{month.year}{month.month:02d}", f"{due.day:02d}.{due.month:02d}.{due.year}",
                ])
                writers["payments"].writerow([
                    SUPPLIER, number, f"{month.year}-{month.month:02d}-15T{10 + index % 8:02d}:{index % 60:02d}:00+03:00",
                    rub(charged_before or 50000), "bank" if index % 4 else "post", f"P{index}-{number_of_month}",
                ])
                balance, charged_before = closing, charged
            files["readings"][1] += periods
            files["charges"][1] += periods
            files["payments"][1] += periods
    finally:
        for handle in handles:
            handle.close()
    return {kind: (path, rows) for kind, (path, rows) in files.items()}


# --- the database -------------------------------------------------------------------------

def fresh_database():
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        connection.execute(f"CREATE DATABASE {DATABASE}")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=ENV, check=True)
    subprocess.run([sys.executable, __file__, "--child-setup"], cwd=ROOT, env=ENV, check=True)


def child_setup():
    """In a subprocess: the tenant and its supplier."""
    import django

    django.setup()
    from billing.models import Supplier
    from portal.scoping import tenant_scope
    from portal.services import tenant_create

    tenant = tenant_create(slug=TENANT, name="ООО «Бенчмарк-Энерго»", short_name="Бенчмарк", kind="electricity_retail")
    with tenant_scope(tenant):
        Supplier.objects.create(tenant=tenant, code=SUPPLIER, name="ООО «Бенчмарк-Энерго»")


def plain_copy(path, kind):
    """Seconds to COPY the file into a bare text table (PostgreSQL parses the CSV), and to
    COPY the same rows read by Python's csv module with psycopg's write_row."""
    import psycopg

    columns = ", ".join(f"{name} text" for name in COLUMNS[kind])
    result = {}
    with psycopg.connect(ENV["DATABASE_URL"]) as connection:
        for name in ("plain", "write_row"):
            table = f"bare_{kind}_{name}"
            connection.execute(f"DROP TABLE IF EXISTS {table}")
            connection.execute(f"CREATE TABLE {table} ({columns})")
            connection.commit()
            began = time.perf_counter()
            with connection.cursor() as cursor:
                if name == "plain":
                    with cursor.copy(f"COPY {table} FROM STDIN (FORMAT csv, DELIMITER ';', HEADER true)") as copy, \
                            open(path, "rb") as source:
                        while block := source.read(1 << 20):
                            copy.write(block)
                else:
                    with cursor.copy(f"COPY {table} FROM STDIN") as copy, \
                            open(path, encoding="utf-8", newline="") as source:
                        reader = csv.reader(source, delimiter=";")
                        next(reader)
                        for row in reader:
                            copy.write_row(row)
            connection.commit()
            result[f"{name}_s"] = round(time.perf_counter() - began, 3)
            connection.execute(f"DROP TABLE {table}")
            connection.commit()
    return result


# --- one import, in a subprocess ------------------------------------------------------------

def child_import(path, report_path, timings_path):
    """In a subprocess: `import_billing` of one file, timed by phase."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from portal.exchange import staging

    phases = {}

    def add(name, seconds):
        phases[name] = phases.get(name, 0.0) + seconds

    def timed(function, name):
        def wrapper(*args, **kwargs):
            began = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                add(name, time.perf_counter() - began)
        return wrapper

    original_read_rows = staging.read_rows

    def read_rows(*args, **kwargs):
        rows = original_read_rows(*args, **kwargs)
        while True:
            began, detecting = time.perf_counter(), phases.get("detect_encoding", 0.0)
            try:
                row = next(rows)
            except StopIteration:
                row = None
            # The encoding check may run inside (on the first row) or before read_rows.
            detected = phases.get("detect_encoding", 0.0) - detecting
            add("parse_detect", detected)
            add("parse", time.perf_counter() - began - detected)
            if row is None:
                return
            yield row

    staging.read_rows = read_rows
    staging.detect_encoding = timed(staging.detect_encoding, "detect_encoding")
    staging._stage = timed(staging._stage, "stage")
    staging._import_one = timed(staging._import_one, "transaction")
    staging._collect_rejected = timed(staging._collect_rejected, "collect_rejected")

    def classify(sql):
        text = " ".join(sql.split())
        for prefix, name in (
            ("ANALYZE staging", "analyze_staging"), ("CREATE TEMP TABLE staging", "staging_ddl"),
            ("DROP TABLE IF EXISTS staging", "staging_ddl"), ("CREATE TEMP TABLE resolved", "resolve"),
            ("ANALYZE resolved", "analyze_resolved"), ("SELECT action, COUNT(*)", "count_actions"),
            ("CREATE TEMP TABLE invoice_source", "invoices"), ("INSERT INTO billing_invoice", "invoices"),
            ("UPDATE billing_invoice", "invoices"), ("DROP TABLE invoice_source", "invoices"),
            ("INSERT INTO", "insert"), ("UPDATE", "update"), ("SELECT pg_advisory_xact_lock", "lock"),
        ):
            if text.startswith(prefix):
                return name
        return "other_sql"

    def execute_wrapper(execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            add(f"sql:{classify(sql)}", time.perf_counter() - began)

    with open(os.devnull, "w") as quiet, connection.execute_wrapper(execute_wrapper):
        began = time.perf_counter()
        call_command("import_billing", "--tenant", TENANT, str(path), "--report-json", str(report_path), stdout=quiet)
        total = time.perf_counter() - began
    Path(timings_path).write_text(json.dumps({"total": total, "phases": phases}))


def run_import(path, workdir, label):
    """`import_billing` of one file in a subprocess: its report, timings and peak RSS."""
    report_path = workdir / f"report-{label}.json"
    timings_path = workdir / f"timings-{label}.json"
    load_before = os.getloadavg()[0]
    began = time.perf_counter()
    child = subprocess.Popen([sys.executable, __file__, "--child-import", str(path), str(report_path),
                              str(timings_path)], cwd=ROOT, env=ENV)
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - began
    if status:
        raise RuntimeError(f"import of {path} failed with status {status}")
    load_after = os.getloadavg()[0]
    report = json.loads(report_path.read_text())["files"][0]
    timings = json.loads(timings_path.read_text())
    phases = timings["phases"]
    stage_sql = phases.get("sql:analyze_staging", 0) + phases.get("sql:staging_ddl", 0)
    detect_outside = phases.get("detect_encoding", 0) - phases.get("parse_detect", 0)
    breakdown = {
        "detect_encoding": phases.get("detect_encoding", 0),
        "parse": phases.get("parse", 0),
        "copy": phases.get("stage", 0) - phases.get("parse", 0) - phases.get("parse_detect", 0) - stage_sql,
        "analyze_staging": phases.get("sql:analyze_staging", 0),
        "resolve": phases.get("sql:resolve", 0) + phases.get("sql:analyze_resolved", 0)
        + phases.get("sql:count_actions", 0),
        "insert": phases.get("sql:insert", 0),
        "update": phases.get("sql:update", 0),
        "invoices": phases.get("sql:invoices", 0),
        "collect_rejected": phases.get("collect_rejected", 0),
    }
    breakdown["commit_and_rest"] = phases.get("transaction", 0) - sum(breakdown.values()) + detect_outside
    breakdown["report_and_run_record"] = timings["total"] - phases.get("transaction", 0) - detect_outside
    return {
        "seconds": round(timings["total"], 3),
        "process_wall_s": round(wall, 3),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "read": report["read"], "created": report["created"], "updated": report["updated"],
        "unchanged": report["unchanged"], "rejected": len(report["rejected"]),
        "phases_s": {name: round(seconds, 3) for name, seconds in breakdown.items()},
        "load_average": {"before": round(load_before, 2), "after": round(load_after, 2)},
    }


def explain_resolve(path):
    """EXPLAIN ANALYZE of charges' resolve query, with the file staged again (rolled back)."""
    if subprocess.run([sys.executable, __file__, "--child-explain", str(path)], cwd=ROOT, env=ENV).returncode:
        print("EXPLAIN failed (see above); the figures are kept")


def child_explain(path):
    import django

    django.setup()
    from django.db import connection, transaction
    from django.utils import timezone

    from portal.exchange import staging
    from portal.exchange.files import kind_of
    from portal.exchange.registry import kinds
    from portal.exchange.report import FileReport
    from portal.exchange.values import Context
    from portal.models import Tenant

    tenant = Tenant.objects.get(slug=TENANT)
    kind = kinds()[kind_of(path)]
    captured = {}

    def execute_wrapper(execute, sql, params, many, context):
        if sql.lstrip().startswith("CREATE TEMP TABLE resolved"):
            captured["sql"], captured["params"] = sql, params
        return execute(sql, params, many, context)

    report = FileReport(file=path.name)
    now = timezone.now()
    today = timezone.localdate(now)
    context = Context(tenant_id=tenant.pk, today=today, now=now, this_month=today.replace(day=1), postgres=True)
    dialect = staging.Dialect(postgres=True)
    with transaction.atomic(), connection.cursor() as cursor, open(path, "rb") as binary, \
            connection.execute_wrapper(execute_wrapper):
        staging._stage(cursor, kind, staging.read_rows(binary, kind, report, context), dialect)
        staging._resolve(cursor, kind, kind.values, tenant.pk, dialect)
        cursor.execute("DROP TABLE resolved")
        select = captured["sql"].split("AS", 1)[1]
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {select}", captured["params"])
        print("\n".join(row[0] for row in cursor.fetchall()))
        transaction.set_rollback(True)


# --- the report ---------------------------------------------------------------------------

def markdown(result):
    sizes = result["sizes"]
    lines = [
        "| charges rows | file | rows | import s | rows/s | again s (unchanged) | plain COPY s | COPY rows/s "
        "| import ÷ COPY | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for size in sizes:
        for kind in KINDS:
            entry = size["files"][kind]
            first, again = entry["first"], entry["again"]
            lines.append(
                f"| {size['charges']:,} | {kind}.csv | {entry['rows']:,} | {first['seconds']:.1f} | "
                f"{entry['rows'] / first['seconds']:,.0f} | {again['seconds']:.1f} "
                f"({again['unchanged']:,}) | {entry['copy']['plain_s']:.2f} | "
                f"{entry['rows'] / entry['copy']['plain_s']:,.0f} | "
                f"{first['seconds'] / entry['copy']['plain_s']:.0f}× | "
                f"{max(first['peak_rss_mb'], again['peak_rss_mb']):.0f} |")
    return "\n".join(lines)


def phases_table(result):
    lines = ["| charges.csv rows | pass | " + " | ".join(PHASE_NAMES.values()) + " | total |",
             "|---|---|" + "---|" * (len(PHASE_NAMES) + 1)]
    for size in result["sizes"]:
        entry = size["files"]["charges"]
        for label in ("first", "again"):
            phases = entry[label]["phases_s"]
            lines.append(f"| {size['charges']:,} | {label} | "
                         + " | ".join(f"{phases[name]:.1f}" for name in PHASE_NAMES)
                         + f" | {entry[label]['seconds']:.1f} |")
    return "\n".join(lines)


PHASE_NAMES = {
    "detect_encoding": "encoding check", "parse": "Python parsing", "copy": "COPY to staging",
    "analyze_staging": "ANALYZE", "resolve": "resolve CTAS", "insert": "INSERT", "update": "UPDATE",
    "invoices": "invoices", "commit_and_rest": "commit, rest", "report_and_run_record": "report, run record",
}


def update_docs(result):
    docs_replace("import", render_section(result))


def render_section(result):
    summary = result["summary"]
    load = [f"{entry['load_average']['before']}–{entry['load_average']['after']}"
            for size in result["sizes"] for kind in ("charges",) for entry in (size["files"][kind]["first"],)]
    lines = [
        f"Measured {result['measured_at'][:10]} ({result['label']}), commit {result['commit']}: "
        f"{result['periods']} months × 1 service per account; load average around the charges "
        f"imports {', '.join(load)}.",
        "",
        markdown(result),
        "",
        "Where the time of charges.csv goes (seconds):",
        "",
        phases_table(result),
        "",
        f"- A million charge rows: **{summary['million_charges_s']} s** (goal < 30 s: "
        f"{'met' if summary['million_charges_met'] else 'missed'}); the same file again: "
        f"**{summary['million_charges_again_s']} s**, all unchanged "
        f"(goal < 15 s: {'met' if summary['million_charges_again_met'] else 'missed'}).",
        f"- Growth 100k → 1M charge rows: ×{summary['growth_charges']} the time for ×10 the rows "
        f"(again: ×{summary['growth_charges_again']}); "
        f"{'linear' if summary['growth_linear'] else 'not linear'}.",
        f"- Peak memory of an importing process: **{summary['peak_rss_mb']} MB** at most "
        f"(goal < 300 MB: {'met' if summary['peak_rss_met'] else 'missed'}).",
    ]
    return "\n".join(lines)


def summarise(result):
    sizes = {size["charges"]: size for size in result["sizes"]}
    largest, smallest = max(sizes), min(sizes)
    big, small = sizes[largest]["files"]["charges"], sizes[smallest]["files"]["charges"]
    ratio = largest / smallest
    growth = big["first"]["seconds"] / small["first"]["seconds"]
    growth_again = big["again"]["seconds"] / small["again"]["seconds"]
    peak = max(entry[label]["peak_rss_mb"] for size in result["sizes"] for entry in size["files"].values()
               for label in ("first", "again"))
    scale = 1_000_000 / largest
    return {
        "million_charges_s": round(big["first"]["seconds"] * scale, 1),
        "million_charges_met": big["first"]["seconds"] * scale < GOALS["million_charges_s"],
        "million_charges_again_s": round(big["again"]["seconds"] * scale, 1),
        "million_charges_again_met": big["again"]["seconds"] * scale < GOALS["million_charges_again_s"],
        "rows_ratio": ratio,
        "growth_charges": round(growth, 2),
        "growth_charges_again": round(growth_again, 2),
        # Linear: the time per row at the largest size within 25 % of the smallest's.
        "growth_linear": growth <= ratio * 1.25 and growth_again <= ratio * 1.25,
        "peak_rss_mb": peak,
        "peak_rss_met": peak < GOALS["peak_rss_mb"],
    }


def main():
    if len(sys.argv) > 1 and sys.argv[1].startswith("--child-"):
        sys.path.insert(0, str(ROOT))
        if sys.argv[1] == "--child-setup":
            return child_setup()
        if sys.argv[1] == "--child-import":
            return child_import(*sys.argv[2:5])
        if sys.argv[1] == "--child-explain":
            return child_explain(Path(sys.argv[2]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charges", type=int, nargs="+", default=[100_000, 1_000_000],
                        help="rows of charges.csv, one run each")
    parser.add_argument("--periods", type=int, default=24, help="months of readings, charges and payments")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--label", default="as committed", help="what this run measures, for the record")
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/performance.md")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE charges' resolve query at the end")
    parser.add_argument("--workdir", type=Path, help="keep the generated files here (default: a temporary directory)")
    options = parser.parse_args()

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", *ENGINE], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()
    result = {
        "what": "import_billing of generated exchange files into a fresh PostgreSQL database, one subprocess per "
                "file; beside COPY of the same file into a bare text table",
        "label": options.label,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "commit": commit.stdout.strip() + (" + local changes to the import" if dirty else ""),
        "cpu_count": os.cpu_count(),
        "periods": options.periods,
        "goals": GOALS,
        "sizes": [],
    }
    today = date.today()
    with tempfile.TemporaryDirectory(prefix="import-speed-") as temporary:
        for charges in options.charges:
            workdir = (options.workdir or Path(temporary)) / f"charges-{charges}"
            workdir.mkdir(parents=True, exist_ok=True)
            accounts = math.ceil(charges / options.periods)
            began = time.perf_counter()
            files = generate(workdir, accounts, options.periods, today)
            print(f"{charges:,} charge rows: {accounts:,} accounts, files in {time.perf_counter() - began:.1f} s")
            fresh_database()
            size = {"charges": files["charges"][1], "accounts": accounts, "files": {}}
            for kind in KINDS:
                path, rows = files[kind]
                copy = plain_copy(path, kind)
                first = run_import(path, workdir, f"{kind}-1")
                assert first["created"] == rows and first["rejected"] == 0, (kind, first)
                size["files"][kind] = {"rows": rows, "bytes": path.stat().st_size, "copy": copy, "first": first}
                print(f"  {kind:<9} {rows:>9,} rows: import {first['seconds']:6.1f} s "
                      f"({rows / first['seconds']:>8,.0f} rows/s, {first['peak_rss_mb']:.0f} MB), "
                      f"plain COPY {copy['plain_s']:5.2f} s, csv+write_row COPY {copy['write_row_s']:5.2f} s; "
                      f"load {first['load_average']['before']}→{first['load_average']['after']}")
                print("            " + ", ".join(f"{name} {value}" for name, value in first["phases_s"].items()))
            for kind in KINDS:
                path, rows = files[kind]
                again = run_import(path, workdir, f"{kind}-2")
                assert again["created"] == 0 and again["updated"] == 0 and again["unchanged"] == rows, (kind, again)
                size["files"][kind]["again"] = again
                print(f"  {kind:<9} again: {again['seconds']:6.1f} s, all {again['unchanged']:,} unchanged "
                      f"({again['peak_rss_mb']:.0f} MB); load "
                      f"{again['load_average']['before']}→{again['load_average']['after']}")
                print("            " + ", ".join(f"{name} {value}" for name, value in again["phases_s"].items()))
            result["sizes"].append(size)
            if options.explain and charges == options.charges[-1]:
                explain_resolve(files["charges"][0])
            result["summary"] = summarise(result) if len(result["sizes"]) > 1 else {}
            options.output.parent.mkdir(parents=True, exist_ok=True)
            options.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print()
    print(markdown(result))
    print(phases_table(result))
    print(json.dumps(result["summary"]))
    if not options.no_docs and result["summary"]:
        update_docs(result)


if __name__ == "__main__":
    main()
