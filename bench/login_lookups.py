"""How long a lookup of a user by a login takes as one tenant grows to 1,000,000 users.

    .venv/bin/python bench/login_lookups.py [--sizes 1000 1000000] [--repeat 200]

Builds a throw-away PostgreSQL database (portal_bench on 127.0.0.1:5432), one tenant, and
fills it with users (INSERT ... SELECT generate_series, then ANALYZE). At each size it runs
every lookup by a login the way the code runs it (allauth's login by e-mail, username and
phone; Django's login by username; recovery's user_by_login for each login kind; the
signup's contact check) --repeat times and keeps the median wall time of one call through
the ORM and PostgreSQL's own execution time of its query (EXPLAIN ANALYZE). For contrast
it also times `email__iexact`, the lookup the code used before (a sequential scan).
Results go to bench/results/login_lookups.json and are printed as a table.
"""

import argparse
import json
import statistics
import time
from types import SimpleNamespace

from shared import ROOT, django_on_fresh_database, portal_env

RESULTS = ROOT / "bench" / "results" / "login_lookups.json"
DATABASE = "portal_bench"
ENV = portal_env(DATABASE, redis_url="", inherit=False)


def setup():
    django_on_fresh_database(ENV)


def add_users(tenant, first, last):
    """Users number first..last of ``tenant``, in one INSERT ... SELECT."""
    from django.db import connection

    from accounts.models import User

    generated = {
        "username": "'login-' || n", "email": "'user' || n || '@bench.example'",
        "phone": "'+7' || (9000000000 + n)::text", "tenant": "%s",
    }
    columns, values, params = [], [], []
    for field in User._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.name in generated:
            values.append(generated[field.name])
            if field.name == "tenant":
                params.append(tenant.pk)
        else:
            values.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO accounts_user ({', '.join(columns)}) "
            f"SELECT {', '.join(values)} FROM generate_series(%s, %s) AS n",
            [*params, first, last],
        )
        cursor.execute("ANALYZE accounts_user")


def lookups(tenant, n):
    from allauth.account.adapter import get_adapter
    from allauth.account.internal.userkit import filter_users_by_email, get_user_by_username

    from accounts import recovery, registration
    from accounts.models import User

    def as_kind(kind):  # the tenant with another login kind, in memory only
        from portal.models import TenantPolicy

        return SimpleNamespace(pk=tenant.pk, policy=TenantPolicy(login_kind=kind))

    email, phone = f"User{n}@Bench.example", f"8 {9000000000 + n}"
    return {
        "allauth: login by e-mail": lambda: filter_users_by_email(email, prefer_verified=True, for_login=True),
        "allauth: login by username": lambda: get_user_by_username(f"LOGIN-{n}"),
        "allauth: login by phone": lambda: get_adapter().get_user_by_phone(phone),
        "Django: login by username": lambda: User.objects.filter(username=f"login-{n}").first(),
        "recovery by e-mail": lambda: recovery.user_by_login(tenant=as_kind("email"), login=email),
        "recovery by phone": lambda: recovery.user_by_login(tenant=as_kind("phone_or_email"), login=phone),
        "recovery by generated login": lambda: recovery.user_by_login(tenant=as_kind("contract"), login=f"login-{n}"),
        "signup: is the contact taken": lambda: registration._contact_holders(
            SimpleNamespace(email=email, phone=f"+7{9000000000 + n}")),
        "before: email__iexact": lambda: User.objects.filter(email__iexact=email).first(),
    }


def measure(tenant, size, repeat):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portal.scoping import tenant_scope

    results = {}
    with tenant_scope(tenant):
        for name, lookup in lookups(tenant, size // 2).items():
            with CaptureQueriesContext(connection) as captured:
                found = lookup()
            assert found, name
            sqls = [query["sql"] for query in captured if '"accounts_user"' in query["sql"]]
            times, spent = [], 0.0
            while len(times) < repeat and (spent < 3 or len(times) < 3):  # slow ones: a few runs
                began = time.perf_counter()
                lookup()
                times.append(time.perf_counter() - began)
                spent += times[-1]
            execution = 0.0
            with connection.cursor() as cursor:
                for sql in sqls:
                    cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
                    plan = cursor.fetchone()[0]
                    plan = json.loads(plan) if isinstance(plan, str) else plan
                    execution += plan[0]["Execution Time"]
            results[name] = {"call_ms": round(statistics.median(times) * 1000, 3), "database_ms": round(execution, 3)}
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 1000000])
    parser.add_argument("--repeat", type=int, default=200)
    options = parser.parse_args()
    setup()
    from portal.services import tenant_create

    tenant = tenant_create(slug="big", name="Большая организация", short_name="Большая", kind="gas")
    by_size, users = {}, 0
    for size in sorted(options.sizes):
        started = time.monotonic()
        add_users(tenant, users + 1, size)
        users = size
        print(f"{size:>9,} users ({time.monotonic() - started:.0f} s to add)", flush=True)
        by_size[size] = measure(tenant, size, options.repeat)
    names = list(next(iter(by_size.values())))
    result = {
        "what": "median time of one lookup of a user by a login (ORM call; PostgreSQL's execution time), "
                "users of one tenant",
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "repeat": options.repeat,
        "sizes": {str(size): runs for size, runs in by_size.items()},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    sizes = sorted(by_size)
    print("| lookup | " + " | ".join(f"{size:,} users: call / database, ms" for size in sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    for name in names:
        cells = [f"{by_size[size][name]['call_ms']} / {by_size[size][name]['database_ms']}" for size in sizes]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
