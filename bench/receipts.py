"""How long a PDF receipt takes to render, and an already rendered one to be served.

    .venv/bin/python bench/receipts.py [--renders 30] [--serves 300] [--output ...]

Builds a throw-away PostgreSQL database (portal_bench_receipts on 127.0.0.1:5432), one
tenant, a supplier with payee details, and a consumer with full access to an account whose
invoice has five services (billing.factories.invoice_with_charges); the "private" storage
is a temporary folder. Under production settings (DEBUG=false, Redis database 12 as the
cache), it measures:

1. render: ``billing.receipts.services.render_receipt_pdf`` (template, QR code, WeasyPrint) of that
   invoice, --renders times after one warm-up (the first, cold, render is reported apart:
   it loads fonts and WeasyPrint's stylesheets once per process);
2. render_service: ``billing.receipts.services.render_receipt`` (lock the row, hash, render, write
   the file, save), with the stored source cleared before each run so that it renders;
3. serve: GET /invoices/<id>/receipt/ of the rendered receipt through Django's test client
   in this process (every middleware, the session, access check, source hash, the file
   streamed and read to the end), --serves times after a warm-up; and its query count.

Goals (issue 9, item 8): render under 300 ms, serve under 20 ms (the median; p95 also
reported). Results go to --output (JSON, default bench/results/receipts.json) and are
printed. The machine's 2 cores are shared: the 1-minute load average is recorded.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from shared import ROOT, portal_env

DEFAULT_OUTPUT = ROOT / "bench" / "results" / "receipts.json"
DATABASE = "portal_bench_receipts"
ENV = portal_env(DATABASE, redis_url="redis://127.0.0.1:6379/12", inherit=False, PORTAL_SCHEME="http")
GOALS_MS = {"render": 300, "serve": 20}


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def summary(seconds):
    ms = [value * 1000 for value in seconds]
    return {"runs": len(ms), "median_ms": round(statistics.median(ms), 2), "p95_ms": round(percentile(ms, 0.95), 2),
            "min_ms": round(min(ms), 2), "max_ms": round(max(ms), 2)}


def prepare(private_root):
    import psycopg

    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        connection.execute(f"CREATE DATABASE {DATABASE}")
    os.environ.update(ENV, PRIVATE_ROOT=str(private_root), STATIC_ROOT=str(Path(private_root) / "static"),
                      DJANGO_SETTINGS_MODULE="portal.settings")
    (Path(private_root) / "static").mkdir()  # WhiteNoise's folder (no static file is asked for)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command

    from accounts.factories import UserFactory
    from billing.demo import payee_details
    from billing.factories import SupplierFactory, invoice_with_charges
    from portal.factories import TenantFactory

    cache.clear()
    call_command("migrate", verbosity=0)
    tenant = TenantFactory(slug="bench")
    supplier = SupplierFactory(tenant=tenant, code="ryazan", name="Межрегионгаз Рязань", **payee_details("ryazan"))
    user = UserFactory(tenant=tenant)
    made = invoice_with_charges(supplier, "6200123456", services=5, user=user)
    return tenant, user, made["invoice"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--renders", type=int, default=30)
    parser.add_argument("--serves", type=int, default=300)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="portal-bench-receipts-") as private_root:
        tenant, user, invoice = prepare(private_root)
        from django.db import connection
        from django.test import Client

        from billing.receipts import services as receipts
        from billing.models import Invoice
        from portal.scoping import tenant_scope

        load_before = os.getloadavg()[0]
        with tenant_scope(tenant):
            loaded = Invoice.objects.select_related("account__supplier").get(pk=invoice.pk)
            charges = receipts.receipt_charges(loaded)
            started = time.perf_counter()
            pdf = receipts.render_receipt_pdf(loaded, charges)
            cold = time.perf_counter() - started
            renders = []
            for _ in range(args.renders):
                started = time.perf_counter()
                again = receipts.render_receipt_pdf(loaded, charges)
                renders.append(time.perf_counter() - started)
                assert again == pdf, "two renders of the same data differ"
            services = []
            for _ in range(max(5, args.renders // 3)):
                Invoice.objects.filter(pk=invoice.pk).update(receipt_source="")
                started = time.perf_counter()
                _invoice, rendered = receipts.render_receipt(invoice.pk)
                services.append(time.perf_counter() - started)
                assert rendered

        client = Client(HTTP_HOST="bench.localhost")
        client.force_login(user)
        url = f"/invoices/{invoice.pk}/receipt/"

        def serve():
            response = client.get(url)
            assert response.status_code == 200, response.status_code
            return b"".join(response.streaming_content)

        assert serve() == pdf
        executed = []

        def count(execute, sql, params, many, context):
            executed.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            serve()
        serves = []
        for _ in range(args.serves):
            started = time.perf_counter()
            serve()
            serves.append(time.perf_counter() - started)
        load_after = os.getloadavg()[0]

    import io

    import pypdf
    import weasyprint
    from weasyprint.text.ffi import harfbuzz_subset

    result = {
        "invoice": {"services": len(charges), "pdf_bytes": len(pdf), "pages": len(pypdf.PdfReader(io.BytesIO(pdf)).pages)},
        "render_cold_ms": round(cold * 1000, 2),
        "render": summary(renders),
        "render_service": summary(services),
        "serve": {**summary(serves), "queries": len(executed)},
        "goals_ms": GOALS_MS,
        "met": {"render": statistics.median(renders) * 1000 < GOALS_MS["render"],
                "serve": statistics.median(serves) * 1000 < GOALS_MS["serve"]},
        "weasyprint": weasyprint.__version__,
        "harfbuzz_subset": bool(harfbuzz_subset),
        "load_average_1m": [round(load_before, 2), round(load_after, 2)],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
