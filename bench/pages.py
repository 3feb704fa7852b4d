"""Requests per second and latency of every portal page, beside a bare Django view, under wrk.

    .venv/bin/python bench/pages.py [--seconds 2] [--rounds 3] [--clients 20] [--tenants gaz,rgmek]
                                    [--output ...] [--accounts 100000] [--accounts-tenant gaz]
                                    [--reuse-database]           (or `make bench`)

Builds a throw-away PostgreSQL database (portal_bench on 127.0.0.1:5432, or $BENCH_DATABASE),
uses Redis database 12 (or $BENCH_REDIS_URL) as the cache (flushed), seeds the demo
(`seed_demo`), grows one tenant with --accounts generated personal accounts of 24 months
each (`seed_demo --accounts N --tenant SLUG`, through the billing import; timed, and the
time goes into the results), ANALYZEs the database (as autovacuum would after such a load;
this machine runs without it), and adds one customer per tenant. --reuse-database keeps a
database that an earlier run built with the same --accounts (the seeding is not measured
again: its figures come from the earlier results in --output). Then it starts two gunicorns
with 2 sync workers each (this machine has 2 cores): the portal under production settings
(DEBUG=false, PostgreSQL, Redis, WhiteNoise; no TLS redirect, since there is no proxy) and
bench/hello.py, a bare Django view answering "hello".

Each page is driven for --seconds by --clients connections of wrk (Debian's `wrk`, a native
load generator: the client no longer caps the bare view, as Python threads did), with
bench/wrk_page.lua setting the tenant's Host and the session cookie and counting every
answer that is not 200; a run of the bare view comes before the first page and after every
page, so each page is compared with the bare view measured right around it (the mean of
the two). Pages, per tenant of --tenants: the home, login, signup and password reset pages
anonymously; the page a login leads to (LOGIN_REDIRECT_URL) as that tenant's customer, who
has no personal account (a session from the real login form); and, as the tenant's demo
consumer (README: `consumer@<slug>.example`, rgmek's `6229001125-1001`, password
`demo-consumer-2026`; logged in through the same form), the overview and every page of the
month's routine on the first linked account: readings, a meter, pay, payments, invoices,
history and the last invoice's PDF receipt served from storage (see consumer_pages). The
walk is repeated --rounds times; per page the round with the median ratio is reported, so
that a burst of other work on the machine (it is shared) spoils one round rather than the
result; the 1-minute load average is recorded before and after.

Results: requests/s, p50/p95/p99 latency, the ratio to the bare view and the database
queries one request makes (the same page through Django's test client in this process) go
to --output (JSON, default bench/results/pages.json), are printed, and replace the table
between the `pages:begin` and `pages:end` markers of docs/performance.md unless --no-docs
is given. `--profile "gaz login"` (repeatable) skips the load test and prints where one
request to that page spends its time, in this process under cProfile.
"""

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from shared import ROOT, gunicorn_start, gunicorn_stop
DEFAULT_OUTPUT = ROOT / "bench" / "results" / "pages.json"
DOCS = ROOT / "docs" / "performance.md"
# Overridable so that a second person on the machine profiles without dropping this one's database.
DATABASE = os.environ.get("BENCH_DATABASE", "portal_bench")
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
PASSWORD = "bench-customer-2026"
DEFAULT_ACCOUNTS = 100_000
ENV = {
    **os.environ,
    "DEBUG": "false",
    "SECRET_KEY": "bench-only-secret-key-not-used-anywhere-else-0123456789",
    # Production settings refuse to store the demo shops' secrets without a Fernet key.
    "PAYMENT_SECRETS_KEYS": "YmVuY2gtb25seS1mZXJuZXQta2V5LTAxMjM0NTY3ODk=",
    "DATABASE_URL": DATABASE_URL,
    "REDIS_URL": REDIS_URL,
    "SECURE_SSL_REDIRECT": "false",
    "PORTAL_SCHEME": "http",
    "CELERY_BROKER_URL": "",
    "STATIC_ROOT": "/tmp/portal-bench-static",
    "LOG_LEVEL": "WARNING",
    "MEDIA_ROOT": f"/tmp/portal-bench-media-{DATABASE}",  # the receipts' storage
}
ANONYMOUS_PATHS = {
    "home": "/",
    "login": "/accounts/login/",
    "signup": "/accounts/signup/",
    "password reset": "/accounts/password/reset/",
}
GOALS = {"anonymous_ratio": 0.30, "logged_in_ratio": 0.15, "p95_ms": 50}


# --- the database and the customers -------------------------------------------------------

def _database_exists():
    import psycopg

    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as connection:
        return connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone() is not None


def _generated_accounts(slug):
    """How many accounts the tenant ``slug`` has (the demo's and the generated ones)."""
    from billing.models import Account
    from portal.models import Tenant
    from portal.scoping import tenant_scope

    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        return 0
    with tenant_scope(tenant):
        return Account.objects.count()


def earlier_seeding(output, accounts, accounts_tenant):
    """The seeding figures of the run that built the database being reused (from its
    results, when they describe the same --accounts), or {}."""
    try:
        earlier = json.loads(output.read_text()).get("seeding") or {}
    except (OSError, ValueError):
        return {}
    if earlier.get("accounts") != accounts or earlier.get("tenant") != accounts_tenant:
        return {}
    return {key: earlier[key] for key in ("demo_s", "accounts_s", "measured_at") if key in earlier}


def prepare_database(accounts, accounts_tenant, reuse=False, output=DEFAULT_OUTPUT):
    """Fresh database and cache, the demo, ``accounts`` generated accounts at the tenant
    ``accounts_tenant``, and one logged-in-able customer per tenant. Returns ({slug: login},
    the seeding's figures)."""
    import psycopg

    reuse = reuse and _database_exists()
    if not reuse:
        with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
            connection.execute(f"CREATE DATABASE {DATABASE}")
    os.environ.update(ENV)
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command

    from accounts.models import ConsentAcceptance, User
    from portal.models import ConsentDocument, Tenant
    from portal.scoping import tenant_scope

    cache.clear()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # production settings need the manifest
    seeding = {"tenant": accounts_tenant, "accounts": accounts, "reused_database": reuse}
    if reuse:
        print(f"reusing {DATABASE}: {_generated_accounts(accounts_tenant)} accounts at {accounts_tenant}")
        seeding.update(earlier_seeding(output, accounts, accounts_tenant))
    else:
        seeding["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        with open(os.devnull, "w") as quiet:
            began = time.perf_counter()
            call_command("seed_demo", allow_production=True, stdout=quiet)
            seeding["demo_s"] = round(time.perf_counter() - began, 1)
            if accounts:
                # What `seed_demo --accounts N --tenant SLUG` costs on top of the demo (it
                # seeds the demo again, idempotently, then imports the generated accounts).
                print(f"seed_demo --accounts {accounts} --tenant {accounts_tenant} ...", flush=True)
                began = time.perf_counter()
                call_command("seed_demo", allow_production=True, accounts=accounts, tenant=accounts_tenant,
                             stdout=quiet)
                seeding["accounts_s"] = round(time.perf_counter() - began, 1)
                print(f"  {seeding['accounts_s']} s", flush=True)
    # This machine's PostgreSQL runs without autovacuum, and nothing analyses the tables the
    # import fills: without statistics the planner takes tenant_id = X for a rare value and
    # ANDs the tenant's index (millions of entries) with the account's, 30 ms a query at
    # 100,000 accounts. A production database's autovacuum analyses them soon after a load.
    from django.db import connection

    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    seeding["analyze_s"] = round(time.perf_counter() - began, 1)
    seeding["tenant_accounts"] = _generated_accounts(accounts_tenant)
    logins = {}
    for tenant in Tenant.objects.select_related("policy").filter(is_active=True).order_by("slug"):
        with tenant_scope(tenant):
            email = f"customer@{tenant.slug}.bench.example"
            # Tenants whose login is generated from a contract log in by username.
            by_username = tenant.policy.login_kind == "contract"
            username = f"bench-{tenant.slug}" if by_username else email
            if not User.objects.filter(username=username).exists():
                user = User.objects.create_user(username=username, email=email, password=PASSWORD, tenant=tenant)
                for document in ConsentDocument.objects.filter(is_active=True):
                    ConsentAcceptance.objects.create(tenant=tenant, user=user, document=document)
            logins[tenant.slug] = username if by_username else email
    return logins, seeding


def consumer_pages(slug):
    """The demo consumer of tenant ``slug``: (login, password, [(page name, path)]): the
    overview, and for the first linked account (the overview's order) every page of the
    month's routine: its readings form, a meter's page (the first in service), the pay form,
    the payments, the invoices, the history, and the last invoice's PDF receipt served from
    storage (rendered here first, as the Celery task would on the first download)."""
    from accounts.demo import CONSUMER_PASSWORD, consumer_login
    from accounts.models import User
    from billing.models import AccountLink, Invoice
    from billing.receipts.services import render_receipt
    from meters.models import Meter
    from portal.models import Tenant
    from portal.scoping import tenant_scope

    tenant = Tenant.objects.get(slug=slug)
    login = consumer_login(tenant)
    pages = [("overview", "/overview/")]
    with tenant_scope(tenant):
        user = User.objects.get(username=login)
        link = AccountLink.objects.filter(user=user).order_by("linked_at", "pk").first()
        if link is not None:
            account = link.account_id
            pages.append(("readings", f"/personal/{account}/readings/"))
            meter = Meter.objects.filter(account_id=account, archived_on__isnull=True).order_by("serial").first()
            if meter is not None:
                pages.append(("meter", f"/personal/{account}/meters/{meter.pk}/"))
            pages += [("pay", f"/personal/{account}/pay/"), ("payments", f"/personal/{account}/payments/"),
                      ("invoices", f"/personal/{account}/invoices/"), ("history", f"/personal/{account}/history/")]
            invoice = Invoice.objects.filter(account_id=account).order_by("-period", "-pk").first()
            if invoice is not None:
                render_receipt(invoice.pk)
                pages.append(("receipt PDF", f"/invoices/{invoice.pk}/receipt/"))
    return login, CONSUMER_PASSWORD, pages


def count_queries(pages):
    """Database queries of one request to each page (after a first, warming one)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for page in pages:
        client = Client(HTTP_HOST=page["host"])
        if page["cookie"]:
            for pair in page["cookie"].split("; "):
                name, value = pair.split("=", 1)
                client.cookies[name] = value
        client.get(page["path"])
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page["path"])
        assert response.status_code == 200, (page["name"], response.status_code)
        counts[page["name"]] = len(queries)
    connection.close()
    return counts


def profile(page, requests=300):
    """Where one request to ``page`` spends its time: the page through Django's test client
    in this process (no gunicorn, no HTTP), timed and then under cProfile."""
    import cProfile
    import pstats

    from django.test import Client

    client = Client(HTTP_HOST=page["host"])
    if page["cookie"]:
        for pair in page["cookie"].split("; "):
            name, value = pair.split("=", 1)
            client.cookies[name] = value
    for _ in range(20):
        client.get(page["path"])
    began = time.perf_counter()
    for _ in range(requests):
        client.get(page["path"])
    print(f"{page['name']}: {(time.perf_counter() - began) / requests * 1000:.2f} ms a request in process")
    profiler = cProfile.Profile()
    profiler.runcall(lambda: [client.get(page["path"]) for _ in range(requests)])
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)  # where the time is spent, not only passed through


# --- servers ------------------------------------------------------------------------------

def start_server(app, settings_module, extra_env=None):
    env = {**ENV, "DJANGO_SETTINGS_MODULE": settings_module, "PYTHONPATH": f"{ROOT}:{ROOT / 'bench'}",
           **(extra_env or {})}
    return gunicorn_start(app, env)



# --- the client ---------------------------------------------------------------------------

def fetch(port, host, path, cookie=None, *, method="GET", body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    all_headers = {"Host": host, **(headers or {})}
    if cookie:
        all_headers["Cookie"] = cookie
    connection.request(method, path, body=body, headers=all_headers)
    response = connection.getresponse()
    content = response.read()
    connection.close()
    return response, content


def log_in(port, host, login, password=PASSWORD):
    """The session cookie of a real login through allauth's form, and the page the login
    leads to (the logged-in home, LOGIN_REDIRECT_URL)."""
    response, page = fetch(port, host, "/accounts/login/")
    page = page.decode()
    csrf_cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie", "")).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    field = re.search(r'<input type="(?:text|email)" name="(\w+)"', page).group(1)
    body = urlencode({"csrfmiddlewaretoken": token, field: login, "password": password})
    response, _content = fetch(port, host, "/accounts/login/", f"csrftoken={csrf_cookie}", method="POST", body=body,
                               headers={"Content-Type": "application/x-www-form-urlencoded",
                                        "Referer": f"http://{host}/accounts/login/"})
    assert response.status == 302, (host, response.status)
    home = response.getheader("Location")
    cookies = dict(re.match(r"([^=]+)=([^;]*)", header).groups() for header in response.msg.get_all("Set-Cookie"))
    cookie = f"sessionid={cookies['sessionid']}; csrftoken={cookies.get('csrftoken', csrf_cookie)}"
    response, page = fetch(port, host, home, cookie)
    assert response.status == 200 and "/accounts/logout/" in page.decode(), (host, home, response.status)
    return cookie, home


WRK_SCRIPT = ROOT / "bench" / "wrk_page.lua"
WRK_THREADS = 2


def load(port, host, path, cookie=None, *, seconds, clients):
    """``clients`` connections of wrk (WRK_THREADS threads) on one page for ``seconds``: its
    answers per second and latency percentiles, from bench/wrk_page.lua's line of JSON."""
    command = ["wrk", f"-t{WRK_THREADS}", f"-c{clients}", f"-d{seconds}s", "--timeout", "30s",
               "-s", str(WRK_SCRIPT), f"http://127.0.0.1:{port}{path}", "--", host, cookie or ""]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    measured = json.loads(output.strip().splitlines()[-1])
    errors = dict(measured["errors"])
    if measured["socket_errors"]:
        errors["socket"] = measured["socket_errors"]
    failed = sum(errors.values())
    return {
        "requests": measured["requests"],
        "errors": errors,
        "rps": round((measured["requests"] - failed) / measured["seconds"], 1),
        "p50_ms": round(measured["p50_us"] / 1000, 1),
        "p95_ms": round(measured["p95_us"] / 1000, 1),
        "p99_ms": round(measured["p99_us"] / 1000, 1),
    }


# --- the report ---------------------------------------------------------------------------

def markdown_table(result):
    lines = [
        "| page | requests/s | p50 ms | p95 ms | p99 ms | of bare view | queries |",
        "|---|---|---|---|---|---|---|",
    ]
    for page in result["pages"]:
        lines.append(f"| {page['name']} | {page['rps']:.0f} | {page['p50_ms']} | {page['p95_ms']} | "
                     f"{page['p99_ms']} | {page['ratio'] * 100:.1f} % | {page['queries']} |")
    hello = result["bare_view"]
    lines.append(f"| bare Django view (median of {len(hello['runs'])} runs) | {hello['median_rps']:.0f} | "
                 f"{hello['p50_ms']} | {hello['p95_ms']} | {hello['p99_ms']} | 100 % | 0 |")
    return "\n".join(lines)


def update_docs(result):
    text = DOCS.read_text()
    begin, end = "<!-- pages:begin -->", "<!-- pages:end -->"
    if begin not in text or end not in text:
        print(f"{DOCS.relative_to(ROOT)} has no {begin} ... {end} section; not updated")
        return
    head, rest = text.split(begin, 1)
    _old, tail = rest.split(end, 1)
    load = result["load_average"]
    summary = (f"Measured {result['measured_at'][:10]} ({result['label']}): wrk, {result['clients']} connections, "
               f"{result['seconds']} s per page, the median of {result['rounds']} rounds; load average "
               f"{load['before']} before the run, {load['after']} after.")
    seeding = result.get("seeding") or {}
    if seeding.get("accounts"):
        summary += (f" Tenant {seeding['tenant']} holds {seeding['tenant_accounts']:,} personal accounts "
                    f"(`seed_demo --accounts {seeding['accounts']} --tenant {seeding['tenant']}`, 24 months each")
        if seeding.get("accounts_s") is None:
            summary += "; database reused, seeding not timed)."
        else:
            summary += f": {seeding['accounts_s']:.0f} s"
            summary += (f", measured {seeding['measured_at'][:16]} when the database was built)."
                        if seeding.get("reused_database") else ").")
    summary += (" \"home, logged in\" is a customer with no personal account; \"consumer …\" pages are the "
                "demo consumer's (first linked account, first meter).")
    summary += (" Queries of one request count BEGIN and COMMIT where the view runs in a transaction "
                "(ATOMIC_REQUESTS; the GETs of the consumer's pages run outside one).")
    DOCS.write_text(f"{head}{begin}\n{summary}\n\n{markdown_table(result)}\n{end}{tail}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=2, help="per page and per run of the bare view")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--label", default="as committed", help="what this run measures, for the record")
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/performance.md")
    parser.add_argument("--accounts", type=int, default=DEFAULT_ACCOUNTS,
                        help="generated accounts (24 months each) added to --accounts-tenant; 0 for none")
    parser.add_argument("--accounts-tenant", default="gaz")
    parser.add_argument("--tenants", type=lambda value: value.split(","), default=["gaz", "rgmek"],
                        help="the tenants whose pages are driven, comma-separated (default gaz,rgmek)")
    parser.add_argument("--reuse-database", action="store_true",
                        help=f"keep an existing {DATABASE} (built by an earlier run with the same --accounts)")
    parser.add_argument("--profile", metavar="PAGE", action="append",
                        help='profile a page in process instead of the load test, e.g. --profile "gaz login"')
    options = parser.parse_args()

    load_before = os.getloadavg()
    logins, seeding = prepare_database(options.accounts, options.accounts_tenant, options.reuse_database,
                                      options.output)
    portal, portal_port = start_server("portal.wsgi:application", "portal.settings")
    hello, hello_port = start_server("hello:application", "hello")
    try:
        pages = []
        for slug, login in logins.items():
            if slug not in options.tenants:
                continue
            host = f"{slug}.localhost"
            for name, path in ANONYMOUS_PATHS.items():
                pages.append({"name": f"{slug} {name}", "tenant": slug, "host": host, "path": path,
                              "logged_in": False, "cookie": None})
            cookie, home = log_in(portal_port, host, login)
            pages.append({"name": f"{slug} home, logged in", "tenant": slug, "host": host, "path": home,
                          "logged_in": True, "cookie": cookie})
            consumer, password, consumer_paths = consumer_pages(slug)
            cookie, _home = log_in(portal_port, host, consumer, password)
            for name, path in consumer_paths:
                pages.append({"name": f"{slug} consumer {name}", "tenant": slug, "host": host, "path": path,
                              "logged_in": True, "consumer": True, "cookie": cookie})
        queries = count_queries(pages)
        if options.profile:
            for page in pages:
                if page["name"] in options.profile:
                    profile(page)
            return
        run = dict(seconds=options.seconds, clients=options.clients)
        load_at_start, load_before = load_before, os.getloadavg()  # after the seeding
        # Warm both servers' workers (imports, templates, connections) on every page.
        load(hello_port, "localhost", "/", seconds=1, clients=options.clients)
        for page in pages:
            load(portal_port, page["host"], page["path"], page["cookie"], seconds=1, clients=options.clients)
        # Rounds: the whole walk again, and per page the round with the median ratio is kept,
        # so that a burst of other work on the machine spoils one round, not the result.
        hello_runs = [load(hello_port, "localhost", "/", **run)]
        rounds = {page["name"]: [] for page in pages}
        for number in range(1, options.rounds + 1):
            print(f"round {number}: bare view {hello_runs[-1]['rps']:.0f} req/s")
            for page in pages:
                measured = load(portal_port, page["host"], page["path"], page["cookie"], **run)
                hello_runs.append(load(hello_port, "localhost", "/", **run))
                bare = (hello_runs[-2]["rps"] + hello_runs[-1]["rps"]) / 2
                measured.update(ratio=round(measured["rps"] / bare, 4), bare_rps=round(bare, 1))
                rounds[page["name"]].append(measured)
                print(f"  {page['name']:<30} {measured['rps']:>6.0f} req/s  p95 {measured['p95_ms']:>6} ms"
                      f"  {measured['ratio'] * 100:5.1f} % of bare"
                      f"{'  errors ' + str(measured['errors']) if measured['errors'] else ''}")
        for page in pages:
            runs = sorted(rounds[page["name"]], key=lambda measured: measured["ratio"])
            page.update(runs[(len(runs) - 1) // 2], queries=queries[page["name"]],
                        ratios_of_rounds=[measured["ratio"] for measured in rounds[page["name"]]])
            del page["cookie"]
    finally:
        gunicorn_stop(portal)
        gunicorn_stop(hello)
    median_run = sorted(hello_runs, key=lambda r: r["rps"])[len(hello_runs) // 2]
    result = {
        "what": "GET requests/s of each page, 20 concurrent clients, gunicorn 2 sync workers, production settings, "
                "PostgreSQL and Redis on this machine; ratio to a bare Django view measured around each page",
        "label": options.label,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "cpu_count": os.cpu_count(), "clients": options.clients, "seconds": options.seconds,
        "rounds": options.rounds,
        # Other work on the machine skews everything: the 1-minute load average around the run.
        "load_average": {"at_start": round(load_at_start[0], 2), "before": round(load_before[0], 2),
                         "after": round(os.getloadavg()[0], 2)},
        "goals": GOALS,
        "bare_view": {"runs": [r["rps"] for r in hello_runs], "median_rps": median_run["rps"],
                      "p50_ms": median_run["p50_ms"], "p95_ms": median_run["p95_ms"], "p99_ms": median_run["p99_ms"]},
        "seeding": seeding,
        "pages": pages,
    }
    anonymous = [p for p in pages if not p["logged_in"]]
    logged_in = [p for p in pages if p["logged_in"]]
    result["summary"] = {
        "anonymous_min_ratio": min(p["ratio"] for p in anonymous),
        "anonymous_median_ratio": statistics.median(p["ratio"] for p in anonymous),
        "logged_in_min_ratio": min(p["ratio"] for p in logged_in),
        "max_p95_ms": max(p["p95_ms"] for p in pages),
    }
    consumer = [p for p in pages if p.get("consumer")]
    if consumer:
        result["summary"].update(
            consumer_min_ratio=min(p["ratio"] for p in consumer),
            consumer_max_p95_ms=max(p["p95_ms"] for p in consumer),
            consumer_pages_meeting_goals=sum(
                p["ratio"] >= GOALS["logged_in_ratio"] and p["p95_ms"] < GOALS["p95_ms"] for p in consumer),
            consumer_pages=len(consumer),
        )
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print()
    print(markdown_table(result))
    print(json.dumps(result["summary"]))
    if not options.no_docs:
        update_docs(result)


if __name__ == "__main__":
    main()
