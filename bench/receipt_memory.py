"""The memory of a Celery worker's pool process over 5,000 PDF receipts, with and without a limit.

    .venv/bin/python bench/receipt_memory.py [--renders 5000] [--config none --config memory=...]
                                             [--output ...] [--no-docs]

WeasyPrint keeps a little of every PDF it renders (about 0.23 MiB a receipt was seen in
production): a pool process that renders receipts all day grows until the machine runs out.
Celery can replace a pool process after it has run N tasks (``worker_max_tasks_per_child``) or
once its resident memory passes a limit (``worker_max_memory_per_child``, checked after each
task). This measures which, and where:

1. A throw-away PostgreSQL database ($BENCH_DATABASE, default portal_bench_receipt_memory on
   127.0.0.1:5432), migrated; one tenant, a supplier with payee details, and --renders
   accounts with one invoice of five services each (billing.factories.invoice_with_charges);
   the "private" storage a temporary folder.
2. For each --config: every invoice's receipt made stale, one ``billing.tasks.render_receipt``
   task per invoice put in a queue of its own on the broker ($BENCH_BROKER_URL, default Redis
   database 13; the cache is $BENCH_REDIS_URL, default 12), then ``celery -A portal worker
   --pool=prefork --concurrency=1`` started under production settings (DEBUG=false) with the
   config's limit on the command line: ``none`` (no limit), ``tasks=N``
   (--max-tasks-per-child), ``memory=KiB`` (--max-memory-per-child), ``settings`` (what
   portal/settings.py sets). Every 2 s: the receipts rendered so far (the database), the
   pool process's pid and resident memory (/proc, VmRSS), the worker's own.
3. Per config: seconds, renders a second, pool processes used, the pool process's RSS after
   its first renders, its peak and at the end, and its growth per render (least squares over
   the longest-lived pool process, after its first 50 renders).

Results go to --output (JSON, default bench/results/receipt_memory.json) and, unless
--no-docs, replace the section between `<!-- receipt-memory:begin -->` and
`<!-- receipt-memory:end -->` of docs/performance.md. The machine's 2 cores are shared: the
1-minute load average is recorded.
"""

import argparse
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from shared import ROOT, docs_replace, portal_env

DEFAULT_OUTPUT = ROOT / "bench" / "results" / "receipt_memory.json"
CELERY = Path(sys.executable).with_name("celery")
DATABASE = os.environ.get("BENCH_DATABASE", "portal_bench_receipt_memory")
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/13")
QUEUE = "bench-receipt-memory"
SAMPLE_SECONDS = 2
ENV = portal_env(DATABASE, broker_url=BROKER_URL, inherit=False, CELERY_TASK_DEFAULT_QUEUE=QUEUE,
                 PORTAL_SCHEME="http")
WORKER_ARGS = {"none": ["--max-memory-per-child=0"], "settings": []}  # settings set no task limit


def worker_args(config):
    if config in WORKER_ARGS:
        return WORKER_ARGS[config]
    kind, _equals, value = config.partition("=")
    option = {"tasks": "--max-tasks-per-child", "memory": "--max-memory-per-child"}[kind]
    return [f"{option}={int(value)}"]


def prepare(renders, private_root):
    import psycopg

    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        connection.execute(f"CREATE DATABASE {DATABASE}")
    os.environ.update(ENV, PRIVATE_ROOT=str(private_root), STATIC_ROOT=str(Path(private_root) / "static"))
    (Path(private_root) / "static").mkdir()
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from billing.demo import payee_details
    from billing.factories import SupplierFactory, invoice_with_charges
    from portal.factories import TenantFactory

    call_command("migrate", verbosity=0)
    tenant = TenantFactory(slug="bench")
    supplier = SupplierFactory(tenant=tenant, code="ryazan", name="Межрегионгаз Рязань", **payee_details("ryazan"))
    with transaction.atomic():
        invoices = [invoice_with_charges(supplier, f"62{index:08d}")["invoice"].pk for index in range(renders)]
    return tenant, invoices


def rendered_count():
    from billing.models import Invoice

    return Invoice._base_manager.exclude(receipt_source="").count()


def rss_mib(pid):
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return None


def pool_processes(pid):
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            children += [int(child) for child in (task / "children").read_text().split()]
    return children


def run(config, tenant, invoices, private_root, log_dir):
    """Render every invoice's receipt in one worker with ``config``'s limit; the samples."""
    from billing.models import Invoice
    from portal.celery import app

    Invoice._base_manager.update(receipt_source="", receipt="")
    for path in Path(private_root).rglob("*.pdf"):
        path.unlink()
    sender = app.connection_for_write()
    with sender as connection:
        connection.default_channel.queue_purge(QUEUE)
    for invoice_id in invoices:
        app.send_task("billing.tasks.render_receipt", kwargs={"tenant_id": tenant.pk, "invoice_id": invoice_id},
                      queue=QUEUE)
    log_path = Path(log_dir) / f"worker-{config.replace('=', '-')}.log"
    command = [str(CELERY), "-A", "portal", "worker", "--pool=prefork", "--concurrency=1", "-Q", QUEUE,
               "--loglevel=warning", "--without-mingle", "--without-gossip", "--without-heartbeat",
               *worker_args(config)]
    load_before = os.getloadavg()[0]
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **ENV, "PRIVATE_ROOT": str(private_root)},
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    began = time.monotonic()
    samples = []
    try:
        while True:
            time.sleep(SAMPLE_SECONDS)
            if worker.poll() is not None:
                raise RuntimeError(f"the worker exited ({worker.returncode}): {log_path.read_text()[-3000:]}")
            done = rendered_count()
            children = pool_processes(worker.pid)
            child = children[0] if children else None
            samples.append([round(time.monotonic() - began, 1), done, child, rss_mib(child) if child else None,
                            rss_mib(worker.pid)])
            if done >= len(invoices):
                break
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
    seconds = samples[-1][0]
    return summary(config, command[3:], samples, seconds, len(invoices), load_before)


def growth_per_render(samples):
    """MiB per render of the longest-lived pool process, after its first 50 renders."""
    by_child = {}
    for _at, done, child, rss, _parent in samples:
        if child and rss:
            by_child.setdefault(child, []).append((done, rss))
    if not by_child:
        return None
    points = max(by_child.values(), key=lambda points: points[-1][0] - points[0][0])
    points = [(done, rss) for done, rss in points if done >= points[0][0] + 50]
    if len(points) < 3 or points[-1][0] == points[0][0]:
        return None
    mean_x = sum(x for x, _y in points) / len(points)
    mean_y = sum(y for _x, y in points) / len(points)
    slope = (sum((x - mean_x) * (y - mean_y) for x, y in points)
             / sum((x - mean_x) ** 2 for x, _y in points))
    return round(slope, 4)


def summary(config, command, samples, seconds, renders, load_before):
    rss = [sample[3] for sample in samples if sample[3]]
    warm = next((sample[3] for sample in samples if sample[1] >= 20 and sample[3]), rss[0])
    return {
        "config": config,
        "worker": " ".join(["celery", *command]),
        "renders": renders,
        "seconds": seconds,
        "renders_per_second": round(renders / seconds, 2),
        "pool_processes": len({sample[2] for sample in samples if sample[2]}),
        "rss_mib": {"after_20_renders": warm, "peak": max(rss), "end": rss[-1]},
        "worker_rss_mib_end": samples[-1][4],
        "growth_mib_per_render": growth_per_render(samples),
        "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "samples": samples,
    }


def rss_between(samples, low, high):
    """The pool process's lowest and highest RSS while receipts ``low`` to ``high`` rendered."""
    rss = [sample[3] for sample in samples if low <= sample[1] <= high and sample[3]]
    return f"{min(rss)}–{max(rss)} MiB" if rss else "–"


def limit_of(config, settings):
    if config == "none":
        return "none"
    if config == "settings":
        config = f"memory={settings['worker_max_memory_per_child']}"
    kind, _equals, value = config.partition("=")
    return f"{int(value):,} KiB of RSS" if kind == "memory" else f"{int(value):,} tasks"


def write_docs(result):
    runs = result["runs"]
    step = max(1, result["renders"] // 10)
    header = "| renders | " + " | ".join(f"`{run['config']}`" for run in runs) + " |"
    rows = [f"| {low + 1:,}–{low + step:,} | " + " | ".join(rss_between(run["samples"], low + 1, low + step)
                                                          for run in runs) + " |"
            for low in range(0, result["renders"], step)]
    rows.append("| the peak | " + " | ".join(f"**{run['rss_mib']['peak']} MiB**" for run in runs) + " |")
    table = [
        "| | " + " | ".join(f"`{run['config']}`" for run in runs) + " |",
        "|---|" + "---|" * len(runs),
        "| limit | " + " | ".join(limit_of(run["config"], result["settings"]) for run in runs) + " |",
        "| seconds (renders a second) | " + " | ".join(
            f"{run['seconds']} s ({run['renders_per_second']})" for run in runs) + " |",
        "| pool processes used | " + " | ".join(str(run["pool_processes"]) for run in runs) + " |",
        "| pool process RSS after 20 renders | " + " | ".join(
            f"{run['rss_mib']['after_20_renders']} MiB" for run in runs) + " |",
        "| peak / at the end | " + " | ".join(
            f"**{run['rss_mib']['peak']}** / {run['rss_mib']['end']} MiB" for run in runs) + " |",
        "| growth of one pool process | " + " | ".join(
            f"{run['growth_mib_per_render']} MiB a render" if run["growth_mib_per_render"] is not None else "–"
            for run in runs) + " |",
    ]
    verdicts = [
        f"`{run['config']}`: the pool process went from {run['rss_mib']['after_20_renders']} MiB (after 20 renders) "
        f"to {run['rss_mib']['peak']} MiB at its peak; "
        + (f"replaced every {result['renders'] // run['pool_processes']:,} renders or so "
           f"({run['pool_processes']} pool processes in all)" if run["pool_processes"] > 1 else "one pool process")
        + f"; {run['renders_per_second']} renders a second."
        for run in runs
    ]
    section = "\n".join([
        f"`bench/receipt_memory.py`, {result['measured_at']}: {result['renders']:,} receipts (five services each) "
        "rendered by `billing.tasks.render_receipt` in one prefork pool process, under production settings.",
        "",
        *table,
        "",
        *[f"- {verdict}" for verdict in verdicts],
        "",
        "The pool process's resident memory (lowest–highest) as the receipts were rendered:",
        "",
        header,
        "|---|" + "---|" * len(runs),
        *rows,
    ])
    docs_replace("receipt-memory", section, heading="Receipt rendering: a pool process's memory")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--renders", type=int, default=5000)
    parser.add_argument("--config", action="append", help="none, settings, tasks=N or memory=KiB (repeatable)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--docs-only", action="store_true", help="rewrite the docs' section from --output")
    options = parser.parse_args()
    if options.docs_only:
        return write_docs(json.loads(options.output.read_text(encoding="utf-8")))
    configs = options.config or ["none", "settings"]
    for config in configs:
        worker_args(config)  # refuse a bad one before the setup

    with tempfile.TemporaryDirectory(prefix="portal-bench-receipt-memory-") as private_root:
        began = time.perf_counter()
        tenant, invoices = prepare(options.renders, private_root)
        setup_seconds = round(time.perf_counter() - began, 1)
        from django.conf import settings

        runs = []
        for config in configs:
            runs.append(run(config, tenant, invoices, private_root, private_root))
            print(json.dumps({key: value for key, value in runs[-1].items() if key != "samples"}), flush=True)
    result = {
        "measured_at": time.strftime("%Y-%m-%d"), "renders": options.renders, "setup_seconds": setup_seconds,
        "settings": {"worker_max_memory_per_child": settings.CELERY_WORKER_MAX_MEMORY_PER_CHILD,
                     "worker_max_tasks_per_child": getattr(settings, "CELERY_WORKER_MAX_TASKS_PER_CHILD", None)},
        "runs": runs,
    }
    options.output.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=1, ensure_ascii=False)
    # A sample a line: [seconds, rendered, pool process, its RSS MiB, the worker's RSS MiB].
    text = re.sub(r"\[\s+([^\[\]{}]*?)\s+\]", lambda match: "[" + re.sub(r"\s+", " ", match.group(1)) + "]", text)
    options.output.write_text(text + "\n", encoding="utf-8")
    if not options.no_docs:
        write_docs(result)


if __name__ == "__main__":
    main()
