"""The import, set-based: per file, in one transaction (so a crash or Ctrl-C leaves the
database as it was before that file):

1. *Read* — decode, check the header, parse each row in Python (files.read_rows): only the
   checks of a single value happen here, and a failing row keeps its line and reason.
2. *Stage* — every row, good or bad, goes into a temporary table: `COPY` on PostgreSQL,
   batched inserts on SQLite. Nothing is held in memory per row.
3. *Resolve* — one `CREATE TEMP TABLE … AS SELECT` joins the staged rows to what they name
   (the kind's SQL: supplier, account, meter, …) and to the existing row of the same natural
   key, adds the reasons only the database can give (an unknown account, more digits than
   the meter has), marks all but the last line of a repeated key as superseded, and
   classifies each good row as create, update or unchanged (`IS DISTINCT FROM` on every
   column), or as a verdict on a row of the portal's (Kind.verdict).
4. *Apply* — one `INSERT … SELECT` and one `UPDATE … FROM`; then the kind's own step, if it
   has one (charges rebuild their periods' invoices the same way).

Imports of one tenant are serialised (an advisory lock on PostgreSQL; SQLite has one
writer anyway), so the classification cannot race another import's insert.
"""

import contextlib
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from . import registry
from .files import FileRefused, detect_encoding, kind_of, read_rows
from .progress import no_progress
from .report import FileReport, ImportReport, Rejected
from .signals import billing_data_changed
from .values import Context

STAGING_BATCH = 5000
IMPORT_LOCK = 0x62696C6C  # "bill": the first key of the advisory lock, the tenant the second
# After a large load the planner must know the table grew: with stale statistics it took a
# tenant of 2.4 million charges for 1,700 rows, and every page query read the whole tenant's
# index (bench/pages.py: 30-45 ms a query, 2 ms after ANALYZE). Autovacuum would catch up
# eventually, and may be off; a second or so per million rows is cheap beside the import.
ANALYZE_AFTER_ROWS = 10_000


@dataclass
class Dialect:
    postgres: bool

    @property
    def distinct(self):
        return "IS DISTINCT FROM" if self.postgres else "IS NOT"

    def sql_type(self, name):
        if self.postgres:
            return name
        return {"numeric": "decimal", "timestamptz": "datetime", "bigint": "integer"}.get(name, name)


def import_files(tenant, sources, *, dry_run=False, encoding=None, progress=None, rows=None):
    """Import ``sources`` (already in the order to apply) into ``tenant``: one transaction
    per file. ``progress(binary, name)`` may wrap each file for a progress bar. ``rows``:
    the number of data rows the (one) file must have, or it is refused as cut off."""
    report = ImportReport()
    dialect = Dialect(postgres=connection.vendor == "postgresql")
    now = timezone.now()
    today = timezone.localdate(now)
    context = Context(tenant_id=tenant.pk, today=today, now=now, this_month=today.replace(day=1),
                      postgres=dialect.postgres)
    # A dry run applies every file as a real run would, each seeing the ones before it (a
    # meter names an account of accounts.csv), inside one transaction rolled back at the end.
    written_kinds = set()
    with transaction.atomic() if dry_run else contextlib.nullcontext():
        for source in sources:
            file_report = FileReport(file=source.name)
            report.files.append(file_report)
            try:
                file_report.kind = kind_of(source.name)
                with source.open() as binary:
                    # Detected before the progress bar wraps the file: the bar counts one pass.
                    file_encoding = encoding or detect_encoding(binary)
                    with (progress or no_progress)(binary, source.name) as wrapped:
                        kind = registry.kinds()[file_report.kind]
                        if _import_one(tenant, kind, wrapped, file_report, context, dialect,
                                       dry_run=dry_run, encoding=file_encoding, rows=rows):
                            report.written = True
                            written_kinds.add(file_report.kind)
                            _refresh_statistics(kind, file_report, dialect)
            except FileRefused as problem:
                file_report.problem, file_report.problem_ru = str(problem), problem.russian
            except OSError as error:
                file_report.problem = f"cannot be opened: {error.strerror or error}"
                file_report.problem_ru = f"файл не открывается: {error.strerror or error}"
        if dry_run:
            transaction.set_rollback(True)
    if written_kinds:
        # Each file has committed (or the caller's transaction will): listeners run after that.
        transaction.on_commit(lambda: billing_data_changed.send(sender=import_files, tenant=tenant, kinds=written_kinds))
    return report


def _refresh_statistics(kind, report, dialect):
    if not dialect.postgres or report.created + report.updated < ANALYZE_AFTER_ROWS:
        return
    with connection.cursor() as cursor:
        for table in (kind.target, *kind.analyze_also):
            cursor.execute(f"ANALYZE {table}")


def _import_one(tenant, kind, binary, report, context, dialect, *, dry_run, encoding, rows):
    """One file in one transaction; True when it wrote anything (and was not a dry run)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            if dialect.postgres:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [IMPORT_LOCK, tenant.pk])
                # The resolve query sorts a file's rows (hundreds of MB for a million): in
                # memory, not on disk; and JIT compiling costs more than it saves here.
                cursor.execute("SET LOCAL work_mem = '256MB'")
                cursor.execute("SET LOCAL jit = off")
            _stage(cursor, kind, read_rows(binary, kind, report, context, encoding, rows), dialect)
            values = kind.values_given(report.columns)
            _resolve(cursor, kind, values, tenant.pk, dialect)
            counts = _apply(cursor, kind, values, dialect)
            if kind.after_apply and (counts.get("c") or counts.get("u")):
                kind.after_apply(cursor, tenant.pk, dialect)
            _collect_rejected(kind, report, dialect)
            cursor.execute("DROP TABLE resolved")
            cursor.execute("DROP TABLE staging")
        report.created = counts.get("c", 0)
        report.updated = counts.get("u", 0) + counts.get("v", 0)
        report.unchanged = counts.get("n", 0)
        # A dry run's outer transaction (import_files) rolls everything back.
        return bool(report.created or report.updated) and not dry_run


def _staging_columns(kind):
    return [("line", "integer"), *((column.name, column.sql_type) for column in kind.columns), *kind.derived,
            ("reason", "text"), ("reason_column", "text"), ("reason_value", "text"), ("reason_detail", "text")]


def _stage(cursor, kind, rows, dialect):
    columns = _staging_columns(kind)
    cursor.execute("DROP TABLE IF EXISTS staging")
    cursor.execute("CREATE TEMP TABLE staging ({})".format(
        ", ".join(f"{name} {dialect.sql_type(sql_type)}" for name, sql_type in columns)))
    names = ", ".join(name for name, _ in columns)
    if dialect.postgres:
        with cursor.cursor.copy(f"COPY staging ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute("ANALYZE staging")
        return
    placeholders = ", ".join(["%s"] * len(columns))
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= STAGING_BATCH:
            cursor.executemany(f"INSERT INTO staging ({names}) VALUES ({placeholders})", batch)
            batch.clear()
    if batch:
        cursor.executemany(f"INSERT INTO staging ({names}) VALUES ({placeholders})", batch)


def _resolve(cursor, kind, values, tenant_id, dialect):
    """The `resolved` table: every staged row with its final reason (None: good) and, for
    good rows, `target_id` (the existing row of its key) and `action` (c, u or n; an update
    only when one of ``values`` differs; v, a verdict that changes its row)."""
    key_partition = ", ".join(f"r.{name}" for name in kind.key)
    join_key = " AND ".join(f"t.{name} = r.{name}" for name in kind.key)
    if kind.key_condition:
        join_key += f" AND {kind.key_condition}"
    changed = " OR ".join(f"r.{name} {dialect.distinct} t.{name}" for name in values) or "FALSE"
    target_join = f"LEFT JOIN {kind.target} t ON r.final_reason IS NULL AND {join_key}"
    action = f"CASE WHEN t.id IS NULL THEN 'c' WHEN {changed} THEN 'u' ELSE 'n' END"
    target_id = "t.id"
    if verdict := kind.verdict:
        named = f"r.{verdict.id_column}"
        # A verdict row's target is the row it names (`v`). Two joins, not one on a CASE: a
        # CASE condition cannot be hashed, and the join became a nested loop over every
        # reading (13 s for 24,000 rows imported again).
        target_join = (f"LEFT JOIN {kind.target} t ON r.final_reason IS NULL AND {named} IS NULL "
                       f"AND {join_key} "
                       f"LEFT JOIN {kind.target} v ON r.final_reason IS NULL AND v.id = {named}")
        target_id = "COALESCE(t.id, v.id)"
        verdict_changed = " OR ".join(f"r.{name} {dialect.distinct} v.{name}" for name in verdict.values)
        action = (f"CASE WHEN {named} IS NOT NULL THEN (CASE WHEN {verdict_changed} THEN 'v' ELSE 'n' END) "
                  f"WHEN t.id IS NULL THEN 'c' WHEN {changed} THEN 'u' ELSE 'n' END")
        # A verdict's key is the row it names alone: two verdicts on one reading that differ
        # in the day were both applied, PostgreSQL keeping either.
        key_partition = f"COALESCE({named}, 0), " + ", ".join(
            f"CASE WHEN {named} IS NULL THEN r.{name} END" for name in kind.key)
    cursor.execute("DROP TABLE IF EXISTS resolved")
    cursor.execute(
        f"""CREATE TEMP TABLE resolved AS
            SELECT r.*, r.final_reason AS reason_code, {target_id} AS target_id,
                   CASE WHEN r.final_reason IS NULL THEN {action} END AS action
            FROM (
                SELECT x.*,
                       CASE WHEN x.reason IS NULL AND x.last_line <> x.line THEN 'superseded' ELSE x.reason END
                           AS final_reason
                FROM (
                    -- The last line of a key wins even when it is rejected: an earlier line
                    -- is what billing has already replaced. (A key not resolved is NULL and
                    -- groups only with other rejected rows.)
                    SELECT q.*, MAX(q.line) OVER (PARTITION BY {key_partition.replace('r.', 'q.')}) AS last_line
                    FROM ({kind.resolve_sql}) q
                ) x
            ) r
            {target_join}""",
        {"tenant": tenant_id},
    )
    if dialect.postgres:
        cursor.execute("ANALYZE resolved")


def _apply(cursor, kind, values, dialect):
    """Insert the new rows and update ``values`` of the changed ones (a verdict's values of
    the row it names); the figures by action."""
    cursor.execute("SELECT action, COUNT(*) FROM resolved WHERE reason_code IS NULL GROUP BY action")
    counts = dict(cursor.fetchall())
    verdict_values = kind.verdict.values if kind.verdict else ()
    # dict.fromkeys: a key may already hold tenant_id (counterparties), named once here.
    insert_columns = ", ".join(dict.fromkeys(("tenant_id", *kind.key, *kind.values, *verdict_values)))
    if counts.get("c"):
        cursor.execute(
            f"INSERT INTO {kind.target} ({insert_columns}) "
            f"SELECT {insert_columns} FROM resolved WHERE reason_code IS NULL AND action = 'c'"
        )
    if counts.get("u"):
        assignments = ", ".join(f"{name} = r.{name}" for name in values)
        cursor.execute(
            f"UPDATE {kind.target} SET {assignments} FROM resolved r "
            f"WHERE r.reason_code IS NULL AND r.action = 'u' AND {kind.target}.id = r.target_id"
        )
    if counts.get("v"):
        assignments = ", ".join(f"{name} = r.{name}" for name in verdict_values)
        cursor.execute(
            f"UPDATE {kind.target} SET {assignments} FROM resolved r "
            f"WHERE r.reason_code IS NULL AND r.action = 'v' AND {kind.target}.id = r.target_id"
        )
    return counts


def _collect_rejected(kind, report, dialect):
    """Stream the rejected rows of `resolved` into the report (a server-side cursor on
    PostgreSQL, so a file of bad rows is never all in memory)."""
    query = ("SELECT line, reason_code, COALESCE(reason_column, ''), COALESCE(reason_value, ''), "
             "CASE WHEN reason_code = 'superseded' THEN CAST(last_line AS text) ELSE COALESCE(reason_detail, '') END "
             "FROM resolved WHERE reason_code IS NOT NULL ORDER BY line")
    raw = connection.connection
    cursor = raw.cursor(name="rejected_rows") if dialect.postgres else raw.cursor()
    try:
        cursor.execute(query)
        while rows := cursor.fetchmany(5000):
            for line, code, column, value, detail in rows:
                report.add_rejected(Rejected(line, code, column, value, detail))
    finally:
        cursor.close()
