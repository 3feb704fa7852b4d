"""CPU time of the whole machine per request of a tenant's pages, by whose it is.

    .venv/bin/python bench/page_cpu.py [--accounts 2000] [--reuse-database] [--tenant gaz]
                                       [--seconds 3] [--label ...] [--output ...]

bench/pages.py gives each page's requests per second as a share of a bare Django view's;
on this 2-core machine that share is close to the bare view's CPU per request over the
page's, all processes counted (the load's clients too). This says where a page's CPU goes:
the portal's gunicorn workers ("server"), the clients driving the load (wrk), PostgreSQL and
Redis, in milliseconds per request, read from /proc before and after --seconds of 20
clients on the page. The database, servers and clients are bench/pages.py's (same
environment variables: BENCH_DATABASE, BENCH_REDIS_URL); pages: the bare view, the tenant's
anonymous pages, its customer's logged-in home and its demo consumer's pages. Results are
printed and written to --output (JSON).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pages as bench  # noqa: E402  (bench/pages.py, next to this file)

DEFAULT_OUTPUT = bench.ROOT / "bench" / "results" / "page_cpu.json"


def cpu_seconds(pids):
    """User and system CPU time of ``pids`` so far (those still alive)."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def pids(*pgrep_arguments):
    found = subprocess.run(["pgrep", *pgrep_arguments], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in found]


def children_cpu_seconds():
    """CPU time of this process's waited-for children: the wrk runs (the clients)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(port, server, page, seconds, clients):
    host, path, cookie = page["host"], page["path"], page["cookie"]
    bench.load(port, host, path, cookie, seconds=1, clients=clients)  # warm
    groups = {"server": pids("-P", str(server.pid)), "postgres": pids("-x", "postgres"),
              "redis": pids("-x", "redis-server")}
    before = {name: cpu_seconds(members) for name, members in groups.items()}
    before["clients"] = children_cpu_seconds()
    result = bench.load(port, host, path, cookie, seconds=seconds, clients=clients)
    after = {name: cpu_seconds(members) for name, members in groups.items()}
    after["clients"] = children_cpu_seconds()
    groups["clients"] = []
    per_request = {name: round((after[name] - before[name]) / result["requests"] * 1000, 3) for name in groups}
    return {"name": page["name"], "rps": result["rps"], "p95_ms": result["p95_ms"], "cpu_ms": per_request,
            "cpu_ms_total": round(sum(per_request.values()), 3)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--reuse-database", action="store_true")
    parser.add_argument("--tenant", default="gaz")
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--label", default="as committed")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    options = parser.parse_args()

    logins, _seeding = bench.prepare_database(options.accounts, options.tenant, options.reuse_database,
                                              Path("/dev/null"))
    portal, portal_port = bench.start_server("portal.wsgi:application", "portal.settings")
    hello, hello_port = bench.start_server("hello:application", "hello")
    host = f"{options.tenant}.localhost"
    try:
        pages = [{"name": f"{options.tenant} {name}", "host": host, "path": path, "cookie": None}
                 for name, path in bench.ANONYMOUS_PATHS.items()]
        cookie, home = bench.log_in(portal_port, host, logins[options.tenant])
        pages.append({"name": f"{options.tenant} home, logged in", "host": host, "path": home, "cookie": cookie})
        consumer, password, consumer_paths = bench.consumer_pages(options.tenant)
        cookie, _home = bench.log_in(portal_port, host, consumer, password)
        pages += [{"name": f"{options.tenant} consumer {name}", "host": host, "path": path, "cookie": cookie}
                  for name, path in consumer_paths]
        bare = {"name": "bare Django view", "host": "localhost", "path": "/", "cookie": None}
        results = [measure(hello_port, hello, bare, options.seconds, options.clients)]
        results += [measure(portal_port, portal, page, options.seconds, options.clients) for page in pages]
    finally:
        bench.gunicorn_stop(portal)
        bench.gunicorn_stop(hello)
    bare_total = results[0]["cpu_ms_total"]
    print(f"{'page':<32} {'req/s':>7} {'server':>7} {'clients':>8} {'postgres':>9} {'redis':>6} {'total':>6}"
          f" {'bare/total':>10}")
    for result in results:
        cpu = result["cpu_ms"]
        result["bare_over_total"] = round(bare_total / result["cpu_ms_total"], 3)
        print(f"{result['name']:<32} {result['rps']:>7.0f} {cpu['server']:>7.3f} {cpu['clients']:>8.3f} "
              f"{cpu['postgres']:>9.3f} {cpu['redis']:>6.3f} {result['cpu_ms_total']:>6.3f} "
              f"{result['bare_over_total'] * 100:>9.1f} %")
    options.output.write_text(json.dumps({
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "label": options.label, "accounts": options.accounts,
        "tenant": options.tenant, "seconds": options.seconds, "clients": options.clients,
        "load_average": os.getloadavg(), "pages": results,
    }, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
