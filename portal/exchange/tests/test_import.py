"""The import as a whole, through import_billing and the apps' real file kinds: the order
files apply in, idempotence, one transaction per file, dry runs, repeated keys, tenants, and
what listeners hear."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection

from billing import pins
from billing.factories import (
    EXCHANGE_FILES, EXCHANGE_ROWS, by_kind, run_import, stored_rows, stored_snapshot, write_csv, write_exchange_files,
)
from billing.models import Account, BillingPayment, Charge, Contract, Counterparty, Invoice
from meters.models import Meter, Reading
from portal.exchange import staging
from portal.exchange.registry import kind_names
from portal.exchange.signals import billing_data_changed
from portal.scoping import tenant_scope


# --- Dependency order, idempotence, corrections -------------------------------------------


def test_files_given_in_the_wrong_order_are_applied_in_dependency_order(alpha, tmp_path):
    write_exchange_files(tmp_path)
    report = run_import(alpha, *(tmp_path / f"{kind}.csv" for kind in reversed(kind_names())))

    assert [entry["kind"] for entry in report["files"]] == list(kind_names())
    for entry in report["files"]:
        kind = entry["kind"]
        assert (entry["read"], entry["created"], entry["updated"], entry["unchanged"], entry["rejected"]) == (
            EXCHANGE_ROWS[kind], EXCHANGE_ROWS[kind], 0, 0, []
        ), kind
    assert report["written"] is True
    assert stored_rows(alpha) == EXCHANGE_ROWS | {"invoices": 2}

    with tenant_scope(alpha):
        contract = Contract.objects.get(number="1002")
        assert contract.counterparty.inn == "623400567912"
        assert contract.phones == "+79001110002"  # normalised, the duplicate dropped
        assert contract.signed_on == date(2023, 3, 1)
        assert Contract.objects.get(number="1001").emails == "buh@hleb.example"
        account = Account.objects.get(number="100200300")
        assert (account.supplier.code, account.subscriber_type) == ("energo", "individual")
        assert account.holder_name == "Иванов Иван Иванович"
        meter = Meter.objects.get(serial="E-001")
        assert (meter.account, meter.zones, meter.digits, meter.decimals) == (account, 2, 6, 1)
        assert meter.verified_until == date(2032, 1, 15)
        assert sorted(Reading.objects.filter(meter=meter).values_list("zone", "value", "taken_on", "source")) == [
            (1, Decimal("12345.6"), date(2026, 10, 25), "amr"),
            (2, Decimal("4567.8"), date(2026, 10, 25), "amr"),
        ]
        assert Reading.objects.get(meter__serial="W-001").value == Decimal("123.456")
        charge = Charge.objects.get(account=account, service="cold_water")
        assert (charge.period, charge.recalculated, charge.closing_balance) == (
            date(2026, 10, 1), Decimal("-10.50"), Decimal("156.22"),
        )
        payment = BillingPayment.objects.get(external_id="P-2")
        assert payment.paid_at == datetime(2026, 10, 7, 9, 0, tzinfo=UTC)
        assert payment.amount == Decimal("500")


def test_a_directory_in_any_file_order_gives_the_same_rows(alpha, tmp_path):
    # A directory's files are applied by kind, not by name: "a_payments" sorts first.
    directory = tmp_path / "incoming"
    write_csv(directory, "payments_a.csv", EXCHANGE_FILES["payments"])
    for kind in reversed(kind_names()[:-1]):
        write_csv(directory, f"{kind}.csv", EXCHANGE_FILES[kind])
    report = run_import(alpha, directory)
    assert [entry["kind"] for entry in report["files"]] == list(kind_names())
    assert all(entry["rejected"] == [] for entry in report["files"])
    assert stored_rows(alpha) == EXCHANGE_ROWS | {"invoices": 2}


def test_importing_the_same_files_again_changes_nothing(imported, tmp_path):
    before = stored_snapshot(imported)
    report = run_import(imported, write_exchange_files(tmp_path / "again"))

    for entry in report["files"]:
        assert (entry["created"], entry["updated"], entry["unchanged"], entry["rejected"]) == (
            0, 0, EXCHANGE_ROWS[entry["kind"]], []
        ), entry["kind"]
    assert report["written"] is False
    assert stored_snapshot(imported) == before


def test_a_corrected_file_updates_exactly_the_changed_rows_in_place(imported, tmp_path):
    with tenant_scope(imported):
        account_ids = dict(Account.objects.values_list("number", "pk"))
        charge_ids = set(Charge.objects.values_list("pk", flat=True))
        other_account = Account.objects.get(number="100200301")
    accounts = EXCHANGE_FILES["accounts"].replace("Иванов Иван Иванович", "Иванова Мария Петровна")
    charges = EXCHANGE_FILES["charges"].replace("1200;0;;0;1150;", "1250;0;;0;1200,50;")
    report = run_import(imported, write_csv(tmp_path, "accounts.csv", accounts),
                        write_csv(tmp_path, "charges.csv", charges))

    files = by_kind(report)
    assert (files["accounts"]["created"], files["accounts"]["updated"], files["accounts"]["unchanged"]) == (0, 1, 1)
    assert (files["charges"]["created"], files["charges"]["updated"], files["charges"]["unchanged"]) == (0, 1, 2)
    assert report["written"] is True
    with tenant_scope(imported):
        assert dict(Account.objects.values_list("number", "pk")) == account_ids  # in place
        assert Account.objects.get(number="100200300").holder_name == "Иванова Мария Петровна"
        assert Account.objects.get(number="100200301").holder_name == other_account.holder_name
        assert set(Charge.objects.values_list("pk", flat=True)) == charge_ids
        charge = Charge.objects.get(account__number="100200301")
        assert (charge.charged, charge.closing_balance) == (Decimal("1250"), Decimal("1200.50"))
        assert Charge.objects.get(account__number="100200300", service="electricity").closing_balance == Decimal(
            "970.73"
        )
        assert Invoice.objects.get(account__number="100200301").total == Decimal("1200.50")


def test_a_column_the_file_leaves_out_keeps_what_is_stored(imported, tmp_path):
    # No pin, phones or e-mails this time: the stored ones stay; the changed holder updates.
    accounts = """
        supplier;account_number;subscriber_type;holder_name
        energo;100200300;individual;Иванов И. И.
    """
    report = run_import(imported, write_csv(tmp_path, "accounts.csv", accounts))
    assert (report["files"][0]["updated"], report["files"][0]["unchanged"]) == (1, 0)
    with tenant_scope(imported):
        account = Account.objects.select_related("supplier").get(number="100200300")
    assert account.holder_name == "Иванов И. И."
    assert pins.pin_matches(account, "4821")
    assert (account.phones, account.emails) == ("+79001112233", "ivanov@example.com")


# --- A key repeated in a file --------------------------------------------------------------


def test_the_same_key_twice_in_a_file_the_last_line_wins(alpha, tmp_path):
    accounts = """
        supplier;account_number;subscriber_type;holder_name
        energo;555;individual;Первый
        energo;556;individual;Другой
        energo;555;individual;Второй
        energo;555;legal;Последний
    """
    report = run_import(alpha, write_csv(tmp_path, "accounts.csv", accounts))

    entry = report["files"][0]
    assert entry["rejected"] == [
        {"line": 2, "reason": "superseded by line 5 (same key)"},
        {"line": 4, "reason": "superseded by line 5 (same key)"},
    ]
    assert (entry["read"], entry["created"]) == (4, 2)
    with tenant_scope(alpha):
        account = Account.objects.get(number="555")
        assert (account.holder_name, account.subscriber_type) == ("Последний", "legal")


def test_a_rejected_last_line_still_supersedes_the_earlier_ones(alpha, tmp_path):
    # Billing replaced line 2 by line 3: writing line 2 would write what billing no longer holds.
    accounts = """
        supplier;account_number;subscriber_type;emails
        energo;555;legal;old@example.com
        energo;555;individual;not-an-email
    """
    report = run_import(alpha, write_csv(tmp_path, "accounts.csv", accounts))

    assert report["files"][0]["rejected"] == [
        {"line": 2, "reason": "superseded by line 3 (same key)"},
        {"line": 3, "reason": "emails: «not-an-email» is not an e-mail address"},
    ]
    assert report["written"] is False
    assert stored_rows(alpha)["accounts"] == 0


# --- One transaction per file ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_crash_in_the_middle_of_a_file_leaves_the_database_as_before_that_file(alpha, tmp_path, monkeypatch):
    run_import(alpha, write_exchange_files(tmp_path / "base"))
    before = stored_snapshot(alpha)
    apply = staging._apply
    applied = []

    def crash_on_the_second_file(cursor, kind, values, dialect):
        counts = apply(cursor, kind, values, dialect)  # the file's rows are written…
        applied.append(kind.name)
        if len(applied) == 2:
            raise RuntimeError("the machine crashed")  # …and then the process dies
        return counts

    monkeypatch.setattr(staging, "_apply", crash_on_the_second_file)
    counterparties = EXCHANGE_FILES["counterparties"] + "7700000000;;ООО «Новое»;\n"
    accounts = (EXCHANGE_FILES["accounts"].replace("Иванов Иван Иванович", "Другой Владелец")
                + "energo;777;individual;Новый;;;;;\n")
    with pytest.raises(RuntimeError, match="the machine crashed"):
        run_import(alpha, write_csv(tmp_path, "counterparties.csv", counterparties),
                   write_csv(tmp_path, "accounts.csv", accounts))

    assert applied == ["counterparties", "accounts"]
    after = stored_snapshot(alpha)
    assert after["accounts"] == before["accounts"]  # neither the new account nor the new holder
    assert len(after["counterparties"]) == len(before["counterparties"]) + 1  # the earlier file stays
    with tenant_scope(alpha):
        assert Counterparty.objects.filter(inn="7700000000").exists()
        assert not Account.objects.filter(number="777").exists()


@pytest.mark.django_db(transaction=True)
def test_ctrl_c_while_reading_a_file_leaves_the_database_as_before_that_file(alpha, tmp_path, monkeypatch):
    read_rows = staging.read_rows

    def interrupted_after_two_rows(binary, kind, *args, **kwargs):
        for number, row in enumerate(read_rows(binary, kind, *args, **kwargs)):
            if kind.name == "accounts" and number == 2:
                raise KeyboardInterrupt
            yield row

    monkeypatch.setattr(staging, "read_rows", interrupted_after_two_rows)
    accounts = EXCHANGE_FILES["accounts"] + "energo;777;individual;Новый;;;;;\n"
    with pytest.raises(KeyboardInterrupt):
        run_import(alpha, write_csv(tmp_path, "counterparties.csv", EXCHANGE_FILES["counterparties"]),
                   write_csv(tmp_path, "accounts.csv", accounts))

    assert stored_rows(alpha)["counterparties"] == 2
    assert stored_rows(alpha)["accounts"] == 0
    monkeypatch.setattr(staging, "read_rows", read_rows)
    report = run_import(alpha, tmp_path / "accounts.csv")  # the connection is still usable
    assert report["files"][0]["created"] == 3


# --- Dry run -----------------------------------------------------------------------------------


def test_a_dry_run_writes_nothing_but_reports_the_same_figures(alpha, tmp_path):
    directory = write_exchange_files(tmp_path / "files")
    dry = run_import(alpha, directory, "--dry-run")

    assert stored_rows(alpha) == dict.fromkeys([*EXCHANGE_ROWS, "invoices"], 0)
    assert dry["written"] is False
    assert "Dry run: everything was rolled back." in dry.stdout
    real = run_import(alpha, directory)
    assert real["written"] is True
    assert dry["files"] == real["files"]  # dependent files see the earlier ones, as for real
    assert all(entry["created"] == EXCHANGE_ROWS[entry["kind"]] for entry in dry["files"])


def test_a_dry_run_of_a_corrected_file_reports_the_update_and_keeps_the_old_value(imported, tmp_path):
    accounts = EXCHANGE_FILES["accounts"].replace("Иванов Иван Иванович", "Иванова Мария Петровна")
    report = run_import(imported, write_csv(tmp_path, "accounts.csv", accounts), "--dry-run")

    assert (report["files"][0]["updated"], report["files"][0]["unchanged"]) == (1, 1)
    assert report["written"] is False
    with tenant_scope(imported):
        assert Account.objects.get(number="100200300").holder_name == "Иванов Иван Иванович"


# --- Tenants --------------------------------------------------------------------------------


def test_an_import_never_touches_or_resolves_another_tenants_rows(alpha, beta, tmp_path):
    run_import(beta, write_exchange_files(tmp_path / "beta"))
    theirs = stored_snapshot(beta)
    # Same supplier code, INNs and account numbers, but alpha has none of the rows yet:
    # every row naming them is unknown here, though beta has them.
    report = run_import(alpha, *(write_csv(tmp_path / "alpha", f"{kind}.csv", EXCHANGE_FILES[kind])
                                 for kind in ("contracts", "meters", "charges")))
    assert [entry["created"] for entry in report["files"]] == [0, 0, 0]
    files = by_kind(report)
    assert files["contracts"]["rejected"][0]["reason"] == (
        "no counterparty with INN 6229001125 (counterparties.csv comes first)"
    )
    assert files["meters"]["rejected"][0]["reason"] == "unknown account energo 100200300"
    assert files["charges"]["rejected"][0]["reason"] == "unknown account energo 100200300"

    report = run_import(alpha, write_exchange_files(tmp_path / "alpha"))
    assert all(entry["created"] == EXCHANGE_ROWS[entry["kind"]] for entry in report["files"])  # none "unchanged"
    corrected = EXCHANGE_FILES["accounts"].replace("Иванов Иван Иванович", "Альфин Владелец")
    report = run_import(alpha, write_csv(tmp_path / "alpha", "accounts.csv", corrected))
    assert (report["files"][0]["updated"], report["files"][0]["unchanged"]) == (1, 1)

    assert stored_rows(alpha) == stored_rows(beta) == EXCHANGE_ROWS | {"invoices": 2}
    assert stored_snapshot(beta) == theirs
    with tenant_scope(alpha):
        assert Account.objects.get(number="100200300").holder_name == "Альфин Владелец"
        assert {meter.account.supplier.tenant for meter in Meter.objects.all()} == {alpha}
    with tenant_scope(beta):
        assert Account.objects.get(number="100200300").holder_name == "Иванов Иван Иванович"


# --- After the import ------------------------------------------------------------------------


def test_a_large_load_refreshes_the_planners_statistics(imported, tmp_path, monkeypatch):
    """After a big file the table is ANALYZEd, so page queries get index plans at once."""
    monkeypatch.setattr(staging, "ANALYZE_AFTER_ROWS", 1)
    run_import(imported, write_csv(tmp_path, "charges.csv", EXCHANGE_FILES["charges"].replace("2026-10", "2026-09")))
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_stat_user_tables WHERE relname IN ('billing_charge', 'billing_invoice')"
                       " AND last_analyze IS NOT NULL ORDER BY relname")
        assert [row[0] for row in cursor.fetchall()] == ["billing_charge", "billing_invoice"]


def test_an_import_that_writes_tells_listeners_once_after_commit_and_a_dry_run_tells_nobody(
    alpha, tmp_path, django_capture_on_commit_callbacks
):
    heard = []

    def listener(*, tenant, kinds, **kwargs):
        heard.append((tenant.pk, sorted(kinds)))

    billing_data_changed.connect(listener)
    try:
        directory = write_exchange_files(tmp_path / "files")
        with django_capture_on_commit_callbacks(execute=True):
            run_import(alpha, directory, "--dry-run")
        assert heard == []
        with django_capture_on_commit_callbacks(execute=True):
            run_import(alpha, directory)
        assert heard == [(alpha.pk, sorted(EXCHANGE_FILES))]
        with django_capture_on_commit_callbacks(execute=True):
            run_import(alpha, directory)  # everything unchanged: nothing written, nothing heard
        assert len(heard) == 1
    finally:
        billing_data_changed.disconnect(listener)
