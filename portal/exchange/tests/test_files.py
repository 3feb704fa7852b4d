"""Reading an exchange file: its kind from its name, its header, its encoding, its quotes."""

from datetime import date
from decimal import Decimal

import pytest

from billing.factories import (
    EXCHANGE_FILES, EXCHANGE_ROWS, PAYMENTS_HEADER, by_kind, rejected_reasons, run_import, stored_rows, write_csv,
)
from billing.models import Account, BillingPayment, Charge, Counterparty, ImportFile
from portal.exchange.files import FileRefused, kind_of
from portal.scoping import tenant_scope


# --- A file's kind ---------------------------------------------------------------------------


@pytest.mark.parametrize("name, kind", [
    ("accounts.csv", "accounts"), ("charges_2026-05.csv", "charges"), ("Charges-1.CSV", "charges"),
    ("meters.csv", "meters"), ("readings_amr.csv", "readings"),
])
def test_a_files_kind_is_the_start_of_its_name(name, kind):
    assert kind_of(name) == kind


@pytest.mark.parametrize("name", ["accountsx.csv", "accounts.txt", "счета.csv", "invoices.csv"])
def test_a_name_that_names_no_kind_is_refused(name):
    with pytest.raises(FileRefused, match="the name does not say what it holds: it should start with one of "
                                          "counterparties, contracts, accounts, meters, readings, charges, payments"):
        kind_of(name)


@pytest.mark.parametrize("name", ["readings_export_alpha_20261101T100000_7.csv", "payments_export_alpha_2026-10.csv"])
def test_the_portals_own_export_files_are_refused(name):
    # Exported readings sent back as they are would import the portal's rows as billing's.
    with pytest.raises(FileRefused, match="this is an export file of the portal, not a file to import"):
        kind_of(name)


# --- Whole files refused, warnings --------------------------------------------------------


def test_a_column_named_twice_refuses_the_file(alpha, tmp_path):
    payments = """
        supplier;account_number;paid_at;amount;Amount
        energo;100200300;2026-10-05T10:00:00+03:00;100;1000
    """
    report = run_import(alpha, write_csv(tmp_path, "payments.csv", payments), refused=True)
    assert by_kind(report)["payments"]["refused"] == "column named twice: amount"


def test_a_missing_required_column_refuses_the_file_whole_and_names_the_column(alpha, tmp_path):
    accounts = """
        supplier;account_number;holder_name
        energo;100200300;Иванов Иван Иванович
    """
    paths = [write_csv(tmp_path, "counterparties.csv", EXCHANGE_FILES["counterparties"]),
             write_csv(tmp_path, "accounts.csv", accounts)]
    report = run_import(alpha, *paths, refused=True)

    files = by_kind(report)
    assert files["accounts"]["refused"] == "required column missing: subscriber_type"
    assert (files["accounts"]["read"], files["accounts"]["created"]) == (0, 0)
    assert files["counterparties"]["created"] == 2  # the other file still imports
    assert report["written"] is True
    assert stored_rows(alpha)["accounts"] == 0
    assert stored_rows(alpha)["counterparties"] == 2
    with tenant_scope(alpha):
        recorded = ImportFile.objects.get(name="accounts.csv")
    assert recorded.problem == "нет обязательного столбца: subscriber_type"  # for the tenant's staff


def test_an_unknown_column_is_a_warning(alpha, tmp_path):
    counterparties = """
        inn;name;comment
        6229001125;ООО «Хлеб»;a note billing added
    """
    report = run_import(alpha, write_csv(tmp_path, "counterparties.csv", counterparties))

    entry = report["files"][0]
    assert entry["warnings"] == ["unknown column «comment» ignored"]
    assert (entry["created"], entry["rejected"]) == (1, [])
    assert "  warning: unknown column «comment» ignored" in report.stdout.splitlines()
    with tenant_scope(alpha):
        assert Counterparty.objects.get().name == "ООО «Хлеб»"


# --- Encodings and number and date forms --------------------------------------------------


@pytest.mark.parametrize("encoding, option", [
    ("utf-8-sig", None), ("utf-8", None), ("cp1251", None),
    ("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8"), ("cp1251", "cp1251"), ("cp1251", "windows-1251"),
])
def test_every_encoding_gives_the_same_rows(alpha, tmp_path, encoding, option):
    paths = [write_csv(tmp_path, f"{kind}.csv", EXCHANGE_FILES[kind], encoding=encoding)
             for kind in ("counterparties", "contracts", "accounts", "charges")]
    report = run_import(alpha, *paths, *(["--encoding", option] if option else []))

    assert all(entry["rejected"] == [] and entry["created"] == EXCHANGE_ROWS[entry["kind"]] for entry in report["files"])
    with tenant_scope(alpha):
        assert sorted(Counterparty.objects.values_list("inn", "name", "short_name")) == [
            ("6229001125", "ООО «Хлеб»", "Хлеб"),
            ("623400567912", "ИП Петров Пётр Петрович", "ИП Петров"),
        ]
        assert Account.objects.get(number="100200300").address == "г. Рязань, ул. Ленина, д. 1, кв. 2"
        assert Charge.objects.get(service="cold_water").recalculation_reason == "перерасчёт за сентябрь"


def test_a_windows_file_with_crlf_and_quoted_separators_reads_the_same(alpha, tmp_path):
    # What 1C saves: windows-1251, CRLF, a field with the separator in quotes.
    accounts = """
        supplier;account_number;subscriber_type;holder_name;address
        energo;555;individual;Ёлкин Пётр;"г. Рязань; ул. Ленина, д. 1"
        energo;556;individual;Щукин Иван;x;an extra cell
    """
    path = write_csv(tmp_path, "accounts.csv", accounts, encoding="cp1251", newline="\r\n")
    report = run_import(alpha, path)

    assert (report["files"][0]["created"], report["files"][0]["rejected"]) == (2, [])
    with tenant_scope(alpha):
        assert Account.objects.get(number="555").address == "г. Рязань; ул. Ленина, д. 1"
        assert Account.objects.get(number="555").holder_name == "Ёлкин Пётр"


def test_a_wrong_encoding_given_explicitly_refuses_the_file(alpha, tmp_path):
    path = write_csv(tmp_path, "counterparties.csv", EXCHANGE_FILES["counterparties"], encoding="cp1251")
    report = run_import(alpha, path, "--encoding", "utf-8", refused=True)

    assert report["files"][0]["refused"].startswith("cannot be read as utf-8")
    assert report["written"] is False
    assert stored_rows(alpha)["counterparties"] == 0


def test_a_byte_order_mark_is_not_part_of_the_first_column(alpha, tmp_path):
    # Read as plain UTF-8 the BOM would glue itself to "inn" and refuse the file.
    path = write_csv(tmp_path, "counterparties.csv", EXCHANGE_FILES["counterparties"], encoding="utf-8-sig")
    report = run_import(alpha, path, "--encoding", "utf-8")
    assert report["files"][0]["created"] == 2


def test_decimal_comma_and_point_and_both_date_forms_read_the_same(alpha, tmp_path):
    charges = """
        supplier;account_number;period;service;volume;tariff;charged;closing_balance;due_on
        energo;100200300;2026-10;electricity;150,5;6,45;970,73;970,73;25.11.2026
        energo;100200300;2026-10;gas;150.5;6.45;970.73;970.73;2026-11-25
    """
    report = run_import(alpha, write_csv(tmp_path, "accounts.csv", EXCHANGE_FILES["accounts"]),
                        write_csv(tmp_path, "charges.csv", charges))

    assert by_kind(report)["charges"]["created"] == 2
    with tenant_scope(alpha):
        rows = set(Charge.objects.values_list("volume", "tariff", "charged", "closing_balance", "due_on"))
    assert rows == {(Decimal("150.5"), Decimal("6.45"), Decimal("970.73"), Decimal("970.73"), date(2026, 11, 25))}


# --- Quotes ------------------------------------------------------------------------------------


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
