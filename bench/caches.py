"""What each cache buys: the consumer's pages at gaz (100,000 accounts) with every cache on,
then with one cache off at a time, then all off; wrk, 20 connections, beside the bare view.

    .venv/bin/python bench/caches.py [--seconds 2] [--rounds 1] [--reuse-database]   (`make bench-caches`)

The database, servers and load are bench/pages.py's (same BENCH_DATABASE, BENCH_REDIS_URL;
--reuse-database keeps a database an earlier run built). A cache is turned off in the
portal's gunicorn by PORTAL_CACHES_OFF (portal.versions: a bench-only switch; every request
then builds what the cache would keep): hosts (portal.hosts), session-user
(accounts.backends), links (billing.access), fragments (the pages' bodies and facts,
billing.fragments), unread (appeals.services), kept (portal.page_cache and {% kept %}).
For each page and setting: requests/s, its ratio to the bare view measured around it, p95,
and the gain of the cache: on / off. Results go to bench/results/caches.json and are
printed as a table.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pages as bench  # noqa: E402  (bench/pages.py, next to this file)

DEFAULT_OUTPUT = bench.ROOT / "bench" / "results" / "caches.json"
CACHES = ["hosts", "session-user", "links", "fragments", "unread", "kept"]
SETTINGS = [("all on", [])] + [(f"{name} off", [name]) for name in CACHES] + [("all off", CACHES)]
TENANT = "gaz"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--accounts", type=int, default=bench.DEFAULT_ACCOUNTS)
    parser.add_argument("--reuse-database", action="store_true")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--pages", type=lambda value: value.split(","), default=None,
                        help="only these pages, comma-separated (e.g. 'home (anonymous),overview,readings')")
    parser.add_argument("--settings", type=lambda value: value.split(","), default=None,
                        help="only these settings, comma-separated (e.g. 'all on,kept off')")
    options = parser.parse_args()

    load_at_start = os.getloadavg()
    logins, seeding = bench.prepare_database(options.accounts, TENANT, options.reuse_database, bench.DEFAULT_OUTPUT)
    hello, hello_port = bench.start_server("hello:application", "hello")
    host = f"{TENANT}.localhost"
    run = dict(seconds=options.seconds, clients=options.clients)
    results = {}
    try:
        pages, logged_in = [("home (anonymous)", "/", None)], False
        for label, off in SETTINGS:
            if options.settings and label not in options.settings:
                continue
            portal, port = bench.start_server("portal.wsgi:application", "portal.settings",
                                              {"PORTAL_CACHES_OFF": ",".join(off)})
            try:
                if not logged_in:  # sessions live in the database: one login serves every setting
                    logged_in = True
                    consumer, password, paths = bench.consumer_pages(TENANT)
                    cookie, _home = bench.log_in(port, host, consumer, password)
                    pages += [(name, path, cookie) for name, path in paths]
                    pages = [page for page in pages if not options.pages or page[0] in options.pages]
                for _name, path, cookie in pages:  # warm the workers
                    bench.load(port, host, path, cookie, seconds=1, clients=options.clients)
                for name, path, cookie in pages:
                    runs = []
                    for _ in range(options.rounds):
                        before = bench.load(hello_port, "localhost", "/", **run)
                        measured = bench.load(port, host, path, cookie, **run)
                        after = bench.load(hello_port, "localhost", "/", **run)
                        measured["ratio"] = round(measured["rps"] / ((before["rps"] + after["rps"]) / 2), 4)
                        runs.append(measured)
                    best = sorted(runs, key=lambda measured: measured["ratio"])[(len(runs) - 1) // 2]
                    results.setdefault(name, {})[label] = best
                    print(f"{label:<18} {name:<18} {best['rps']:>6.0f} req/s  {best['ratio'] * 100:5.1f} % of bare  "
                          f"p95 {best['p95_ms']} ms{'  errors ' + str(best['errors']) if best['errors'] else ''}",
                          flush=True)
            finally:
                bench.gunicorn_stop(portal)
    finally:
        bench.gunicorn_stop(hello)
    result = {
        "what": "requests/s of gaz's pages (100,000 accounts) with each cache off in turn; ratio to the bare view",
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "seconds": options.seconds, "rounds": options.rounds,
        "load_average": {"at_start": round(load_at_start[0], 2), "after": round(os.getloadavg()[0], 2)},
        "seeding": seeding, "pages": results,
    }
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    labels = [label for label, _off in SETTINGS if not options.settings or label in options.settings]
    print("\n| page | " + " | ".join(labels) + " |")
    print("|---|" + "---|" * len(labels))
    for name, measured in results.items():
        print(f"| {name} | " + " | ".join(f"{measured[label]['ratio'] * 100:.1f} %" for label in labels) + " |")
    # Ratios, not requests/s: the bare view measured around each page absorbs the machine's load.
    gains = {label: statistics.median(measured["all on"]["ratio"] / max(measured[label]["ratio"], 0.001)
                                      for measured in results.values()) for label in labels if label != "all on"}
    print("\nmedian gain of each cache over the pages (ratio to the bare view with it on / off): "
          + ", ".join(f"{label.removesuffix(' off')} ×{gain:.2f}" for label, gain in gains.items()))


if __name__ == "__main__":
    main()
