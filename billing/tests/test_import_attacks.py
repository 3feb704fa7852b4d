"""Attacks on billing's import, export and admin uploads (review of issue 8): what a hostile
or simply broken file, a duplicated task or two exports at once must not do."""

from decimal import Decimal

import pytest
from django.utils import timezone

from billing import exports
from billing.models import Account, BillingPayment, Charge
from portal.scoping import tenant_scope
from portal.spreadsheet import not_a_formula

from .test_exports import make_meter, reading_ids, submit
from .test_imports import alpha, imported, run_import, write_csv  # noqa: F401 (alpha, imported: fixtures)


def rejected_reasons(report, kind):
    entry = next(entry for entry in report["files"] if entry["kind"] == kind)
    return [(item["line"], item["reason"]) for item in entry["rejected"]]


# --- Exports -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_two_since_last_exports_in_the_same_second_keep_both_files(tenants, tmp_path):
    """The file name had a one-second stamp: the second export of that second replaced the
    first's file, whose readings were marked as sent and never reached billing."""
    alpha_tenant, _beta = tenants
    meter = make_meter(alpha_tenant)
    first = submit(meter, "1.5")
    now = timezone.now()
    with tenant_scope(alpha_tenant):
        one = exports.export_readings(alpha_tenant, tmp_path, now=now)
    second = submit(meter, "2.5")
    with tenant_scope(alpha_tenant):
        two = exports.export_readings(alpha_tenant, tmp_path, now=now)

    assert one.path != two.path
    assert reading_ids(one.path) == [first.pk]
    assert reading_ids(two.path) == [second.pk]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([one.path.name, two.path.name])


# --- Files that break the import -------------------------------------------------------------

PAYMENTS_HEADER = "supplier;account_number;paid_at;amount;channel;external_id"


@pytest.mark.django_db
def test_an_unclosed_quote_does_not_swallow_the_following_rows_silently(imported, tmp_path):
    """csv reads an unclosed quote to the end of the file as one cell: the rows after it
    vanished from the report (no line rejected, `read` one) and nothing said why."""
    path = write_csv(tmp_path, "payments.csv", f"""
        {PAYMENTS_HEADER}
        energo;100200300;2026-10-05T10:15:00+03:00;100,00;"bank;P-1
        energo;100200300;2026-10-06T10:15:00+03:00;200,00;bank;P-3
        energo;100200301;2026-10-07T10:15:00+03:00;300,00;bank;P-4
    """)
    report = run_import(imported, path)

    reasons = rejected_reasons(report, "payments")
    assert len(reasons) == 1 and reasons[0][0] == 2
    assert "quote" in reasons[0][1]
    with tenant_scope(imported):
        assert not BillingPayment.objects.filter(channel__contains="\\n").exists()
        assert not BillingPayment.objects.filter(external_id__in=["P-3", "P-4"]).exists()


@pytest.mark.django_db
def test_a_quoted_cell_with_a_line_break_of_its_own_is_still_a_row(imported, tmp_path):
    path = tmp_path / "charges.csv"
    path.write_text(
        "supplier;account_number;period;service;recalculation_reason;closing_balance\n"
        'energo;100200300;2026-09;gas;"перерасчёт:\nпо акту";10\n'
        "energo;100200300;2026-08;gas;;20\n",
        encoding="utf-8",
    )
    report = run_import(imported, path)

    assert rejected_reasons(report, "charges") == []
    with tenant_scope(imported):
        assert Charge.objects.get(service="gas", period__month=9).recalculation_reason == "перерасчёт:\nпо акту"
        assert Charge.objects.filter(service="gas").count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("period", ["0000-05", "0000-12"])
def test_a_period_of_year_zero_is_a_rejected_row_not_a_failed_run(imported, tmp_path, period):
    path = write_csv(tmp_path, "charges.csv", f"""
        supplier;account_number;period;service;closing_balance
        energo;100200300;{period};gas;10
        energo;100200300;2026-09;gas;20
    """)
    report = run_import(imported, path)

    assert rejected_reasons(report, "charges") == [(2, f"period: «{period}» is not a period (YYYY-MM)")]
    with tenant_scope(imported):
        assert Charge.objects.get(service="gas").closing_balance == Decimal("20")


@pytest.mark.django_db
@pytest.mark.parametrize("paid_at", [
    "2026-10-05T10:15:00+20:00",  # Python takes offsets to ±23:59, PostgreSQL to ±15:59
    "0001-01-01T00:00:00+14:00",  # before year 1 in UTC: PostgreSQL stores it BC, Python cannot read it back
])
def test_a_time_postgresql_or_python_cannot_hold_is_a_rejected_row(imported, tmp_path, paid_at):
    path = write_csv(tmp_path, "payments.csv", f"""
        {PAYMENTS_HEADER}
        energo;100200300;{paid_at};1;bank;X-1
        energo;100200300;2026-10-05T10:15:00Z;2;bank;X-2
    """)
    report = run_import(imported, path)

    assert [line for line, _reason in rejected_reasons(report, "payments")] == [2]
    with tenant_scope(imported):
        assert list(BillingPayment.objects.filter(external_id__startswith="X-").values_list("external_id", "amount")) == [
            ("X-2", Decimal("2")),
        ]


# --- The admin's import task ----------------------------------------------------------------


@pytest.fixture
def queued_run(tenants, tmp_path, monkeypatch):
    """A run of alpha's staff with one accounts.csv uploaded, queued (its task not run)."""
    from django.core.files.storage import FileSystemStorage
    from django.core.files.uploadedfile import SimpleUploadedFile

    from billing import services
    from billing.factories import SupplierFactory
    from billing.models import ImportFile

    storage = FileSystemStorage(location=tmp_path / "private")
    for name in ("upload", "rejected_lines"):
        monkeypatch.setattr(ImportFile._meta.get_field(name), "storage", storage)
    from billing import tasks

    monkeypatch.setattr(tasks.run_import, "delay", lambda **kwargs: None)  # queued, not run
    alpha_tenant = tenants[0]
    SupplierFactory(tenant=alpha_tenant, code="energo")
    upload = SimpleUploadedFile("accounts.csv", "supplier;account_number;subscriber_type\nenergo;777;individual\n"
                                .encode("utf-8"))
    with tenant_scope(alpha_tenant):
        run = services.start_uploaded_import(alpha_tenant, user=None, uploads=[upload])
    return alpha_tenant, run


def other_connection():
    import psycopg
    from django.db import connection

    settings = connection.settings_dict
    return psycopg.connect(dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"],
                           port=settings["PORT"] or 5432, autocommit=True)


@pytest.mark.django_db(transaction=True)
def test_a_duplicated_task_does_not_run_an_import_another_worker_is_running(queued_run):
    """The check was a SELECT then an UPDATE: two deliveries of the task both saw "queued"
    and both imported, the second overwriting the run's figures with "0 created"."""
    from billing import services
    from billing.models import ImportRun

    tenant, run = queued_run
    with other_connection() as worker:  # another worker, running this run right now
        worker.execute("SELECT pg_advisory_lock(%s, %s)", [services.RUN_LOCK, run.pk])
        with tenant_scope(tenant):
            assert services.run_uploaded_import(tenant, run.pk) is None
            assert ImportRun.objects.get(pk=run.pk).status == ImportRun.Status.QUEUED
            assert not Account.objects.filter(number="777").exists()


@pytest.mark.django_db(transaction=True)
def test_a_task_delivered_again_after_its_worker_died_finishes_the_run(queued_run):
    """acks_late delivers the task again when its worker dies mid-run; the run said
    "running" and the second delivery skipped it: "выполняется" for ever."""
    from billing import services
    from billing.models import ImportRun

    tenant, run = queued_run
    with tenant_scope(tenant):
        ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.RUNNING)  # the dead worker's
        services.run_uploaded_import(tenant, run.pk)
        run.refresh_from_db()
        assert run.status == ImportRun.Status.DONE and run.written
        assert Account.objects.filter(number="777").exists()
        # Done is done: a third delivery changes nothing.
        assert services.run_uploaded_import(tenant, run.pk) is None


# --- Billing's verdicts ---------------------------------------------------------------------


@pytest.mark.django_db
def test_two_verdicts_on_one_portal_reading_the_last_line_wins(imported, tmp_path):
    """Verdicts were keyed by the reading's id *and* the row's zone, day and source: two
    verdicts on one reading that differ in the day were both applied ("updated 2"), and
    which one PostgreSQL kept was the join's arbitrary choice."""
    from .test_imports import VERDICT_HEADER, portal_reading

    reading = portal_reading(imported)
    readings = f"""
        {VERDICT_HEADER}
        energo;100200300;E-001;1;12400;2026-11-01;portal;{reading.pk};rejected;первый ответ
        energo;100200300;E-001;1;12400;2026-11-02;portal;{reading.pk};accepted;
    """
    report = run_import(imported, write_csv(tmp_path, "readings.csv", readings))

    assert rejected_reasons(report, "readings") == [(2, "superseded by line 3 (same key)")]
    assert report["files"][0]["updated"] == 1
    reading.refresh_from_db()
    assert (reading.status, reading.status_reason) == ("accepted", "")


# --- The rejected lines' CSV, opened in Excel -------------------------------------------------


@pytest.mark.django_db
def test_no_reason_in_the_rejected_lines_csv_starts_a_formula(imported, tmp_path, monkeypatch):
    from django.core.files.storage import FileSystemStorage

    from billing import services
    from billing.models import ImportFile, ImportRun

    storage = FileSystemStorage(location=tmp_path / "private")
    monkeypatch.setattr(ImportFile._meta.get_field("rejected_lines"), "storage", storage)
    path = write_csv(tmp_path, "payments.csv", f"""
        {PAYMENTS_HEADER};=HYPERLINK("http://evil.example";"x")
        energo;100200300;2026-10-05T10:15:00+03:00;1;bank;Y-1;"=1+1
        energo;100200300;2026-10-06T10:15:00+03:00;2;bank;Y-2;
    """)
    run_import(imported, path)
    with tenant_scope(imported):
        file = ImportRun.objects.latest("pk").files.get()
        text = file.rejected_lines.open("rb").read().decode("utf-8-sig")
    cells = [line.split(";", 1)[1] for line in text.splitlines()[1:]]
    assert cells and all(cell.lstrip('"')[:1] not in "=+-@" for cell in cells), cells
    assert not_a_formula("=1+1") == "'=1+1" and not_a_formula("поле") == "поле"


@pytest.mark.django_db
def test_an_export_never_rounds_a_submitted_reading(tenants, tmp_path):
    """A reading keeps the decimals it was submitted with; a later meters.csv may lower the
    meter's decimals, and the export rounded 123.456 to 123."""
    from .test_exports import rows_of

    alpha_tenant, _beta = tenants
    meter = make_meter(alpha_tenant, decimals=3)
    submit(meter, "123.456")
    submit(meter, "7")
    type(meter).objects.model._base_manager.filter(pk=meter.pk).update(decimals=0)
    with tenant_scope(alpha_tenant):
        result = exports.export_readings(alpha_tenant, tmp_path)
    assert [row["value"] for row in rows_of(result.path)] == ["123.456", "7"]
