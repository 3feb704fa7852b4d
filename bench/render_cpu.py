"""CPU time in this process per request of the consumer pages, and their HTML to compare.

    BENCH_DATABASE=portal_b BENCH_REDIS_URL=redis://127.0.0.1:6379/2 \
        .venv/bin/python bench/render_cpu.py [--tenants gaz,mef,rgmek] [--requests 300]
                                             [--save DIR] [--compare DIR] [--profile PAGE]

Production-like settings (bench/pages.py's environment: DEBUG=false, so the cached template
loader and the manifest's static files), the demo seeded into BENCH_DATABASE if it has no
tenant yet (the database is never dropped), each tenant's demo consumer logged in through
the login form with Django's test client. For each page (the anonymous home, the
consumer's overview, readings, meter, pay, payments, invoices and history) it makes 20
warming GETs, then --requests GETs timed with time.process_time() (this process's CPU, not
the wall clock: the machine may be busy), and prints milliseconds of CPU per request,
the least of --runs runs (the one the rest of the machine disturbed least). --save DIR
writes each page's HTML (CSRF tokens, CSP nonces and the pay forms' one-time tokens
replaced by fixed text) to DIR; --compare DIR says which pages differ from the ones saved
there. --profile "gaz overview" prints that page under cProfile instead. Without the
variables: bench/pages.py's database (portal_bench) and Redis (12), whose cache it clears.
"""

import argparse
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pages as bench  # noqa: E402  (bench/pages.py: its environment and the consumer's pages)

NORMALISE = [
    (re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+'), r"\1CSRF"),
    (re.compile(r'(csrf[-_]?token["\']?\s*[:=]\s*["\'])[^"\']+', re.I), r"\1CSRF"),
    (re.compile(r'(nonce=")[^"]+'), r"\1NONCE"),
    (re.compile(r'(name="token" value=")[^"]+'), r"\1TOKEN"),  # a payment form's one-time token
]


def normalised(html):
    for pattern, replacement in NORMALISE:
        html = pattern.sub(replacement, html)
    return html


def setup():
    os.environ.update(bench.ENV)
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    sys.path.insert(0, str(bench.ROOT))
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command

    from portal.models import Tenant

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if not Tenant.objects.exists():
        with open(os.devnull, "w") as quiet:
            call_command("seed_demo", allow_production=True, stdout=quiet)
    cache.clear()


def logged_in_client(host, login, password):
    from django.test import Client

    client = Client(HTTP_HOST=host)
    page = client.get("/accounts/login/").content.decode()
    field = re.search(r'<input type="(?:text|email)" name="(\w+)"', page).group(1)
    response = client.post("/accounts/login/", {field: login, "password": password})
    assert response.status_code == 302, (host, response.status_code)
    return client


def pages_of(tenants):
    from django.test import Client

    found = []
    for slug in tenants:
        host = f"{slug}.localhost"
        found.append((f"{slug} home (anonymous)", Client(HTTP_HOST=host), "/"))
        login, password, paths = bench.consumer_pages(slug)
        client = logged_in_client(host, login, password)
        for name, path in paths:
            if name != "receipt PDF":
                found.append((f"{slug} {name}", client, path))
    return found


def cpu_ms(client, path, requests):
    began = time.process_time()
    for _ in range(requests):
        client.get(path)
    return (time.process_time() - began) / requests * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", default="gaz,mef,rgmek")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--save", type=Path)
    parser.add_argument("--compare", type=Path)
    parser.add_argument("--profile")
    options = parser.parse_args()
    setup()
    differ = []
    for name, client, path in pages_of(options.tenants.split(",")):
        if options.profile and name != options.profile:
            continue
        for _ in range(20):
            response = client.get(path)
        assert response.status_code == 200, (name, path, response.status_code)
        html = normalised(response.content.decode())
        file_name = name.replace(" ", "_").replace("(", "").replace(")", "") + ".html"
        if options.save:
            options.save.mkdir(parents=True, exist_ok=True)
            (options.save / file_name).write_text(html)
        if options.compare and (options.compare / file_name).read_text() != html:
            differ.append(name)
        if options.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.runcall(lambda: [client.get(path) for _ in range(options.requests)])
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(50)
            stats.sort_stats("tottime").print_stats(30)
            continue
        runs = [cpu_ms(client, path, options.requests) for _ in range(options.runs)]
        print(f"{name:28} {min(runs):6.2f} ms CPU a request, least of the runs ({', '.join(f'{r:.2f}' for r in runs)})",
              flush=True)
    if options.compare:
        print("HTML differs: " + ", ".join(differ) if differ else "HTML identical on every page")
        sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
