"""How long a reading-reminder run takes for 100,000 subscribers, and how much memory.

    .venv/bin/python bench/reminders.py [--subscribers 100000] [--output ...] [--no-docs]

1. A throw-away PostgreSQL database (portal_bench_reminders on 127.0.0.1:5432, or
   $BENCH_DATABASE), dropped, created and migrated; one tenant, one supplier, and a reading
   window that opens today (the tenant's date).
2. In a subprocess: --subscribers customers, each with a confirmed e-mail, no Subscription
   row (the defaults: reminders by e-mail), an account with a meter and a full-access link.
3. In another subprocess, the measured one: ``notifications.services.reminders_send``
   for the tenant, as the beat task runs it, then the same run again (it must send nothing).
   Each notice is rendered, recorded and queued as in production: a Notification row, an
   OutgoingMessage row with its e-mail's text and List-Unsubscribe headers; only the last
   step, publishing ``deliver_message`` to the broker, is counted instead of published
   (100,000 e-mails would hold hundreds of megabytes in a shared Redis; delivery is the
   workers' job, in parallel, not the run's).

Elapsed seconds, the process's peak RSS (resource.getrusage) and its RSS sampled every
second go to --output (JSON, default bench/results/reminders.json) and replace the section
between `<!-- reminders:begin -->` and `<!-- reminders:end -->` of docs/performance.md
unless --no-docs is given.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from shared import ROOT, docs_replace, portal_env

DEFAULT_OUTPUT = ROOT / "bench" / "results" / "reminders.json"
DATABASE = os.environ.get("BENCH_DATABASE", "portal_bench_reminders")
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
ENV = portal_env(DATABASE, PAYMENT_SECRETS_KEYS="YmVuY2gtb25seS1mZXJuZXQta2V5LTAxMjM0NTY3ODk=",
                 PORTAL_SCHEME="https")
TENANT = "bench"
BATCH = 5000
GOALS = {"seconds": 300, "peak_rss_mb": 300}


def create_database():
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        connection.execute(f"CREATE DATABASE {DATABASE}")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=ENV, check=True)


def child_setup(subscribers):
    """The tenant, its supplier, a window that opens today and the subscribers."""
    import django

    django.setup()
    from accounts.models import User
    from billing.models import Account, AccountLink, Supplier
    from meters.models import Meter, ReadingWindow
    from portal.scoping import tenant_scope
    from portal.services import tenant_create

    tenant = tenant_create(slug=TENANT, name="ООО «Бенчмарк-Энерго»", short_name="Бенчмарк", kind="electricity_retail")
    today = tenant.today()
    with tenant_scope(tenant):
        supplier = Supplier.objects.create(tenant=tenant, code="energo", name="ООО «Бенчмарк-Энерго»")
        ReadingWindow.objects.create(tenant=tenant, first_day=today.day, last_day=today.day)
        for start in range(0, subscribers, BATCH):
            numbers = range(start, min(start + BATCH, subscribers))
            users = User.objects.bulk_create([
                User(tenant=tenant, username=f"user{n}@bench.example", email=f"user{n}@bench.example",
                     email_verified=True, password="!", first_name="Абонент", last_name=f"№ {n}")
                for n in numbers])
            accounts = Account.objects.bulk_create([
                Account(tenant=tenant, supplier=supplier, number=f"{n:08d}",
                        subscriber_type=Account.SubscriberType.INDIVIDUAL) for n in numbers])
            Meter.objects.bulk_create([
                Meter(tenant=tenant, account=account, serial=f"M{account.number}", service="electricity")
                for account in accounts])
            AccountLink.objects.bulk_create([
                AccountLink(tenant=tenant, user=user, account=account, access=AccountLink.Access.FULL,
                            proof=AccountLink.Proof.STAFF)
                for user, account in zip(users, accounts, strict=True)])
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _rss_mb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def child_run():
    """The measured run, then the same run again; prints the figures as JSON."""
    import resource
    import threading

    import django

    django.setup()
    from notifications import services
    from portal import tasks
    from portal.models import Tenant
    from portal.scoping import tenant_scope

    queued = []
    tasks.deliver_message.delay = lambda **arguments: queued.append(arguments["message_id"])
    tenant = Tenant.objects.get(slug=TENANT)
    samples = []
    began = time.perf_counter()
    done = threading.Event()

    def sample():
        while not done.wait(1.0):
            samples.append([round(time.perf_counter() - began, 1), round(_rss_mb(), 1)])

    rss_before = _rss_mb()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    with tenant_scope(tenant):
        sent = services.reminders_send(tenant=tenant)
        seconds = time.perf_counter() - began
        again_began = time.perf_counter()
        again = services.reminders_send(tenant=tenant)
        again_seconds = time.perf_counter() - again_began
    done.set()
    sampler.join()
    print(json.dumps({
        "sent": sent["reading_window_opens"], "queued": len(queued), "seconds": round(seconds, 1),
        "again_sent": sum(again.values()), "again_seconds": round(again_seconds, 1),
        "rss_before_mb": round(rss_before, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_samples_mb": samples,
    }))


def write_docs(result):
    first_quarter = [rss for at, rss in result["rss_samples_mb"] if at <= result["seconds"] / 4] or [0]
    last_half = [rss for at, rss in result["rss_samples_mb"] if result["seconds"] / 2 <= at <= result["seconds"]] or [0]
    section = "\n".join([
        f"`bench/reminders.py`, {result['measured_at']}: {result['subscribers']:,} subscribers whose reading window "
        f"opens today (e-mail, full access, one account and meter each).",
        "",
        "| | |",
        "|---|---|",
        f"| reminders sent (recorded, rendered, queued) | {result['sent']:,} |",
        f"| the run | **{result['seconds']} s** ({result['per_second']:,.0f} a second) |",
        f"| the same run again (sends nothing) | {result['again_seconds']} s, {result['again_sent']} sent |",
        f"| RSS before the run | {result['rss_before_mb']} MB |",
        f"| RSS in the first quarter of the run (max) | {max(first_quarter)} MB |",
        f"| RSS in the second half of the run (max) | {max(last_half)} MB |",
        f"| peak RSS of the process | **{result['peak_rss_mb']} MB** |",
        f"| setup (users, accounts, meters, links) | {result['setup_seconds']} s |",
        "",
        f"Goals: the run within {GOALS['seconds']} s and under {GOALS['peak_rss_mb']} MB, memory flat (it reads "
        "2,000 links at a time by key): "
        f"{'met' if result['goals_met'] else 'missed'}. The machine's 2 cores were shared with other work.",
    ])
    docs_replace("reminders", section, heading="Reading reminders for 100,000 subscribers")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--child-setup", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-run", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child_setup is not None:
        return child_setup(options.child_setup)
    if options.child_run:
        return child_run()

    create_database()
    began = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--child-setup", str(options.subscribers)], cwd=ROOT, env=ENV,
                   check=True)
    setup_seconds = round(time.perf_counter() - began, 1)
    run = subprocess.run([sys.executable, __file__, "--child-run"], cwd=ROOT, env=ENV, check=True,
                         capture_output=True, text=True)
    result = {
        "measured_at": time.strftime("%Y-%m-%d"), "subscribers": options.subscribers, "setup_seconds": setup_seconds,
        **json.loads(run.stdout.strip().splitlines()[-1]),
    }
    result["per_second"] = round(result["sent"] / result["seconds"], 1) if result["seconds"] else 0
    result["goals_met"] = (result["sent"] == options.subscribers == result["queued"] and result["again_sent"] == 0
                           and result["seconds"] <= GOALS["seconds"] and result["peak_rss_mb"] <= GOALS["peak_rss_mb"])
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({key: value for key, value in result.items() if key != "rss_samples_mb"}, indent=2))
    if not options.no_docs:
        write_docs(result)


if __name__ == "__main__":
    main()
