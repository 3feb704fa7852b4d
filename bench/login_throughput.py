"""Logins per second through the real login view, Django's default hasher beside ours.

    .venv/bin/python bench/login_throughput.py [--seconds 20] [--clients 4]

Builds a throw-away PostgreSQL database (portal_bench on 127.0.0.1:5432), seeds the demo
tenants, gives N users of tenant `gaz` a PBKDF2 hash (Django 5.2's default, 1,000,000
iterations) and N others an Argon2id hash (ours). Then, twice, it starts gunicorn with 2
workers (this machine has 2 cores) under production settings and drives concurrent logins
over loopback HTTP for a fixed time: GET the login page (CSRF cookie), POST the
credentials, count the redirects. Run 1 uses Django's default PASSWORD_HASHERS (so a
PBKDF2 hash is not upgraded on login), run 2 ours. Results go to
bench/results/login_throughput.json and are printed as a table.
"""

import argparse
import http.client
import itertools
import json
import os
import re
import threading
import time

from shared import ROOT, django_on_fresh_database, gunicorn_start, gunicorn_stop, portal_env
RESULTS = ROOT / "bench" / "results" / "login_throughput.json"
DATABASE = "portal_bench"
HOST = "gaz.localhost"
PASSWORD = "bench12"
USERS = 400
ENV = portal_env(
    DATABASE, redis_url="", PORTAL_SCHEME="http", STATIC_ROOT="/tmp/portal-bench-static",
    # Each request claims its own client IP through one trusted proxy hop, so the
    # per-IP login rate limit (30/min) measures nothing here.
    TRUSTED_PROXY_COUNT="1",
)
DEFAULT_HASHERS_SETTINGS = "bench_default_hashers"


def prepare_database():
    django_on_fresh_database(ENV)
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    from accounts.models import User
    from portal import demo
    from portal.models import Tenant
    from portal.scoping import tenant_scope

    call_command("collectstatic", interactive=False, verbosity=0)  # production settings need the manifest
    demo.seed_demo()
    tenant = Tenant.objects.get(slug="gaz")
    hashes = {"pbkdf2_sha256": make_password(PASSWORD, hasher="pbkdf2_sha256"),
              "argon2": make_password(PASSWORD, hasher="argon2")}
    with tenant_scope(tenant):
        User.objects.bulk_create(
            User(tenant=tenant, username=f"{algorithm}-{n}@bench.example", email=f"{algorithm}-{n}@bench.example",
                 password=encoded)
            for algorithm, encoded in hashes.items() for n in range(USERS)
        )
    return {algorithm: encoded.split("$")[0:2] for algorithm, encoded in hashes.items()}


def start_server(settings_module):
    env = {**ENV, "DJANGO_SETTINGS_MODULE": settings_module, "PYTHONPATH": f"{ROOT}:{ROOT / 'bench'}"}
    return gunicorn_start("portal.wsgi:application", env)



def login_once(port, email, client_ip):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Host": HOST, "X-Forwarded-For": client_ip}
    connection.request("GET", "/accounts/login/", headers=headers)
    response = connection.getresponse()
    page = response.read().decode()
    cookie = response.getheader("Set-Cookie", "")
    csrf_cookie = re.search(r"csrftoken=([^;]+)", cookie).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    field = re.search(r'<input type="(?:text|email)" name="(\w+)"', page).group(1)
    body = f"csrfmiddlewaretoken={token}&{field}={email}&password={PASSWORD}"
    connection.request("POST", "/accounts/login/", body=body, headers={
        **headers, "Cookie": f"csrftoken={csrf_cookie}", "Content-Type": "application/x-www-form-urlencoded",
        "Referer": f"http://{HOST}/accounts/login/",
    })
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status == 302 and response.getheader("Location") == "/"


def measure(port, algorithm, *, seconds, clients):
    emails = itertools.cycle(f"{algorithm}-{n}@bench.example" for n in range(USERS))
    addresses = (f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}" for n in itertools.count(1))
    lock = threading.Lock()
    counts = {"ok": 0, "failed": 0}
    stop_at = time.monotonic() + seconds

    def client():
        while time.monotonic() < stop_at:
            with lock:
                email, address = next(emails), next(addresses)
            ok = login_once(port, email, address)
            with lock:
                counts["ok" if ok else "failed"] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return {"logins": counts["ok"], "failed": counts["failed"], "seconds": round(elapsed, 2),
            "logins_per_second": round(counts["ok"] / elapsed, 2)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=4)
    options = parser.parse_args()
    prepare_database()
    runs = {}
    for label, settings_module, algorithm in (
        ("django_default_pbkdf2", DEFAULT_HASHERS_SETTINGS, "pbkdf2_sha256"),
        ("portal_argon2id", "portal.settings", "argon2"),
    ):
        server, port = start_server(settings_module)
        try:
            login_once(port, f"{algorithm}-0@bench.example", "10.255.0.1")  # warm up both workers' imports
            login_once(port, f"{algorithm}-1@bench.example", "10.255.0.2")
            runs[label] = measure(port, algorithm, seconds=options.seconds, clients=options.clients)
        finally:
            gunicorn_stop(server)
    ratio = runs["portal_argon2id"]["logins_per_second"] / max(runs["django_default_pbkdf2"]["logins_per_second"], 0.01)
    result = {
        "what": "successful logins per second through /accounts/login/ (GET + POST), gunicorn 2 workers, PostgreSQL",
        "cpu_count": os.cpu_count(), "clients": options.clients, "runs": runs, "speedup": round(ratio, 1),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    for label, run in runs.items():
        print(f"{label:<24} {run['logins_per_second']:>8.2f} logins/s  ({run['logins']} in {run['seconds']} s, "
              f"{run['failed']} failed)")
    print(f"{'speedup':<24} {ratio:>8.1f}x   -> {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
