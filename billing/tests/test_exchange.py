"""Billing's files (billing/exchange.py) through import_billing: the rows only the database
can refuse, invoices built from charges, the PIN, and the import runs staff see (the
command's record, the admin upload's task, the rejected lines' CSV)."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from billing import pins
from billing.factories import (
    EXCHANGE_FILES, PAYMENTS_HEADER, bad_row_outcome, run_import, stored_snapshot, write_csv,
)
from billing.models import Account, ImportFile, ImportRun, Invoice
from portal.scoping import scopes_disabled, tenant_scope
from portal.spreadsheet import not_a_formula

# (file, header, a good row, a bad row, the bad row's reason): the bad row is line 2.
BAD_ROWS = {
    "an unknown supplier": (
        "accounts", "supplier;account_number;subscriber_type",
        "energo;555;individual", "gorgaz;556;individual",
        "unknown supplier «gorgaz»",
    ),
    "a contract of an unknown counterparty": (
        "contracts", "supplier;contract_number;inn",
        "energo;2001;6229001125", "energo;2002;7700000000",
        "no counterparty with INN 7700000000 (counterparties.csv comes first)",
    ),
    "a charge of an unknown account": (
        "charges", "supplier;account_number;period;service;closing_balance",
        "energo;100200301;2026-09;electricity;10", "energo;999999;2026-09;electricity;10",
        "unknown account energo 999999",
    ),
}


@pytest.mark.parametrize("kind, header, good, bad, reason", BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_a_row_naming_what_is_not_stored_is_rejected(imported, tmp_path, kind, header, good, bad, reason):
    rejected, counts = bad_row_outcome(imported, tmp_path, kind, header, good, bad)
    assert rejected == [{"line": 2, "reason": reason}] and counts == (2, 1, 0, True, 1)


# --- Invoices -------------------------------------------------------------------------------


def test_charges_make_one_invoice_per_account_and_period(imported, tmp_path):
    with tenant_scope(imported):
        invoices = {(invoice.account.number, invoice.period): invoice for invoice in Invoice.objects.all()}
    assert set(invoices) == {("100200300", date(2026, 10, 1)), ("100200301", date(2026, 10, 1))}
    mine = invoices["100200300", date(2026, 10, 1)]
    assert (mine.number, mine.total, mine.due_on) == ("INV-10-1", Decimal("1126.95"), date(2026, 11, 25))
    assert invoices["100200301", date(2026, 10, 1)].total == Decimal("1150")

    september = EXCHANGE_FILES["charges"] + "energo;100200300;2026-09;electricity;0;;;;80;0;;0;80;INV-09-1;2026-10-25\n"
    report = run_import(imported, write_csv(tmp_path, "charges.csv", september))
    assert (report["files"][0]["created"], report["files"][0]["unchanged"]) == (1, 3)
    with tenant_scope(imported):
        assert Invoice.objects.count() == 3
        assert Invoice.objects.get(period=date(2026, 9, 1)).total == Decimal("80")
        assert {invoice.pk: invoice.total for invoice in Invoice.objects.filter(period=date(2026, 10, 1))} == {
            mine.pk: Decimal("1126.95"), invoices["100200301", date(2026, 10, 1)].pk: Decimal("1150"),
        }
    before = stored_snapshot(imported)["invoices"]
    run_import(imported, tmp_path / "charges.csv")
    assert stored_snapshot(imported)["invoices"] == before


# --- PIN --------------------------------------------------------------------------------------


def test_the_pin_is_stored_hashed_and_matches(imported, tmp_path):
    with tenant_scope(imported):
        account = Account.objects.select_related("supplier").get(number="100200300")
        without = Account.objects.select_related("supplier").get(number="100200301")
    assert account.pin_hash and "4821" not in account.pin_hash
    assert pins.pin_matches(account, "4821")
    assert pins.pin_matches(account, " 4821 ")
    assert not pins.pin_matches(account, "4822")
    assert without.pin_hash == "" and not pins.pin_matches(without, "")
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM billing_account WHERE pin_hash LIKE %s", ["%4821%"])
        assert cursor.fetchone() == (0,)

    report = run_import(imported, write_csv(tmp_path, "accounts.csv", EXCHANGE_FILES["accounts"]))
    assert (report["files"][0]["updated"], report["files"][0]["unchanged"]) == (0, 2)
    report = run_import(imported, write_csv(tmp_path, "accounts.csv", EXCHANGE_FILES["accounts"].replace(";4821;", ";1111;")))
    assert report["files"][0]["updated"] == 1
    with tenant_scope(imported):
        account = Account.objects.select_related("supplier").get(number="100200300")
    assert pins.pin_matches(account, "1111") and not pins.pin_matches(account, "4821")


# --- The record of a run ----------------------------------------------------------------------


def test_the_command_records_the_run_with_its_files_and_rejected_lines(imported, tmp_path):
    accounts = EXCHANGE_FILES["accounts"] + "energo;1;person;;;;;;\n"
    run_import(imported, write_csv(tmp_path, "accounts.csv", accounts),
               write_csv(tmp_path, "counterparties.csv", EXCHANGE_FILES["counterparties"]))

    with tenant_scope(imported):
        run = ImportRun.objects.first()  # the newest
        files = {file.name: file for file in run.files.all()}
    assert (run.status, run.written, run.dry_run, run.started_by) == ("done", False, False, None)
    assert run.finished_at is not None
    assert set(files) == {"counterparties.csv", "accounts.csv"}
    account_file = files["accounts.csv"]
    assert (account_file.kind, account_file.read, account_file.unchanged, account_file.rejected) == (
        "accounts", 3, 2, 1
    )
    with account_file.rejected_lines.open("rb") as stream:
        lines = stream.read().decode("utf-8-sig").splitlines()
    assert lines == ["строка;причина", "4;subscriber_type: «person» — не одно из: individual, legal"]
    assert not files["counterparties.csv"].rejected_lines
    with scopes_disabled():
        assert ImportFile.objects.filter(run=run).count() == 2


@pytest.mark.django_db
def test_no_reason_in_the_rejected_lines_csv_starts_a_formula(imported, tmp_path, monkeypatch):
    from django.core.files.storage import FileSystemStorage

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
        run = services.import_start_uploaded(alpha_tenant, user=None, uploads=[upload])
    return alpha_tenant, run


def other_connection():
    import psycopg
    from django.db import connection

    settings = connection.settings_dict
    return psycopg.connect(dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"],
                           port=settings["PORT"] or 5432, autocommit=True)


@pytest.mark.django_db(transaction=True)
def test_a_run_whose_task_was_lost_is_published_again_by_the_sweep(queued_run, monkeypatch):
    """The run is the job (issue 25): queued and not picked up for two minutes, or «running»
    with no worker holding its lock, it is published again; one a worker runs is left alone."""
    from datetime import timedelta

    from django.utils import timezone

    from billing import services, tasks
    from billing.models import ImportRun

    tenant, run = queued_run
    published = []
    monkeypatch.setattr(tasks.run_import, "delay", lambda **kwargs: published.append(kwargs["run_id"]))
    later = timezone.now() + timedelta(minutes=3)
    assert services.import_runs_resume() == []  # its task may still come
    assert services.import_runs_resume(now=later) == [run.pk]
    with tenant_scope(tenant):
        ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.RUNNING)
    with other_connection() as worker:  # a worker runs it now
        worker.execute("SELECT pg_advisory_lock(%s, %s)", [services.RUN_LOCK, run.pk])
        assert services.import_runs_resume(now=later) == []
    assert services.import_runs_resume(now=later) == [run.pk]  # that worker died
    with tenant_scope(tenant):
        services.import_run_uploaded(tenant, run.pk)
        assert ImportRun.objects.get(pk=run.pk).status == ImportRun.Status.DONE
    assert services.import_runs_resume(now=later) == []
    assert published == [run.pk, run.pk]


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
            assert services.import_run_uploaded(tenant, run.pk) is None
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
        services.import_run_uploaded(tenant, run.pk)
        run.refresh_from_db()
        assert run.status == ImportRun.Status.DONE and run.written
        assert Account.objects.filter(number="777").exists()
        # Done is done: a third delivery changes nothing.
        assert services.import_run_uploaded(tenant, run.pk) is None
