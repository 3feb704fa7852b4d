"""import_billing against PostgreSQL: every rule of issue 8, item 2 (shared/EXCHANGE.md).

Each test writes exchange files into pytest's tmp_path, runs the command as an operator
would, and checks both the database and the report (its figures and its reasons).
"""

import io
import json
import tempfile
import textwrap
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from billing import imports, pins
from billing.bank_details import with_key
from billing.factories import SupplierFactory
from billing.models import Account, BillingPayment, Charge, Contract, Counterparty, ImportFile, ImportRun, Invoice
from meters.models import Meter, Reading
from portal.scoping import scopes_disabled, tenant_scope

MODELS = {
    "counterparties": Counterparty, "contracts": Contract, "accounts": Account, "meters": Meter,
    "readings": Reading, "charges": Charge, "payments": BillingPayment,
}

# One tenant's billing data, one file per kind (shared/EXCHANGE.md), in both decimal and
# both date forms.
DATA = {
    "counterparties": """
        inn;kpp;name;short_name
        6229001125;622901001;ООО «Хлеб»;Хлеб
        623400567912;;ИП Петров Пётр Петрович;ИП Петров
    """,
    "contracts": """
        supplier;contract_number;inn;phones;emails;status;signed_on
        energo;1001;6229001125;+79001110001;Buh@Hleb.example;active;2024-02-01
        energo;1002;623400567912;8 900 111-00-02,+79001110002;;terminated;01.03.2023
    """,
    "accounts": """
        supplier;account_number;subscriber_type;holder_name;address;contract_number;pin;phones;emails
        energo;100200300;individual;Иванов Иван Иванович;г. Рязань, ул. Ленина, д. 1, кв. 2;;4821;+79001112233;ivanov@example.com
        energo;100200301;legal;ООО «Хлеб»;г. Рязань, ул. Есенина, д. 5;1001;;;
    """,
    "meters": """
        supplier;account_number;serial;service;zones;digits;decimals;installed_on;verified_until
        energo;100200300;E-001;electricity;2;6;1;2020-01-15;15.01.2032
        energo;100200300;W-001;cold_water;1;5;3;01.06.2021;
    """,
    "readings": """
        supplier;account_number;serial;zone;value;taken_on;source
        energo;100200300;E-001;1;12345,6;2026-10-25;amr
        energo;100200300;E-001;2;4567.8;25.10.2026;amr
        energo;100200300;W-001;1;123,456;2026-10-20;controller
    """,
    "charges": """
        supplier;account_number;period;service;opening_balance;volume;unit;tariff;charged;recalculated;recalculation_reason;paid;closing_balance;invoice_number;due_on
        energo;100200300;2026-10;electricity;100,00;150.5;kWh;6,45;970.73;0;;100;970.73;INV-10-1;2026-11-25
        energo;100200300;2026-10;cold_water;0;3.2;m3;52.1;166.72;-10.5;перерасчёт за сентябрь;0;156,22;INV-10-1;25.11.2026
        energo;100200301;2026-10;electricity;-50;;;;1200;0;;0;1150;INV-10-2;2026-11-25
    """,
    "payments": """
        supplier;account_number;paid_at;amount;channel;external_id
        energo;100200300;2026-10-05T10:15:00+03:00;100,00;bank;P-1
        energo;100200301;2026-10-07 12:00:00+03:00;500;post;P-2
    """,
}
READ = {"counterparties": 2, "contracts": 2, "accounts": 2, "meters": 2, "readings": 3, "charges": 3, "payments": 2}


class Report(dict):
    """The command's JSON report, with what it printed as ``stdout``."""

    stdout = ""


def write_csv(directory, name, text, encoding="utf-8", newline="\n"):
    """``text`` (indented, ';'-separated, header first) as the file ``directory/name``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    lines = textwrap.dedent(text).strip("\n").split("\n")
    path.write_bytes("".join(line + newline for line in lines).encode(encoding))
    return path


def run_import(tenant, *args, refused=False):
    """``import_billing --tenant … ARGS --report-json …``: the JSON report it wrote.
    ``refused``: some file is expected to be refused whole (the command then fails)."""
    with tempfile.TemporaryDirectory() as directory:
        report_path = Path(directory) / "report.json"
        stdout = io.StringIO()
        command = ("import_billing", "--tenant", tenant.slug, *args, "--report-json", report_path)
        if refused:
            with pytest.raises(CommandError, match="refused whole"):
                call_command(*command, stdout=stdout)
        else:
            call_command(*command, stdout=stdout)
        with open(report_path, encoding="utf-8") as stream:
            report = Report(json.load(stream))
    report.stdout = stdout.getvalue()
    return report


def write_all(directory):
    """Every kind's file of DATA into ``directory``; the directory."""
    for kind, text in DATA.items():
        write_csv(directory, f"{kind}.csv", text)
    return directory


def by_kind(report):
    return {entry["kind"]: entry for entry in report["files"]}


def counts(tenant):
    with tenant_scope(tenant):
        return {kind: model.objects.count() for kind, model in MODELS.items()} | {"invoices": Invoice.objects.count()}


def snapshot(tenant):
    """Every imported row of ``tenant`` with all its fields: to prove nothing changed."""
    with tenant_scope(tenant):
        return {
            kind: sorted(map(sorted, (row.items() for row in model.objects.values())))
            for kind, model in {**MODELS, "invoices": Invoice}.items()
        }


@pytest.fixture
def alpha(tenants):
    SupplierFactory(tenant=tenants[0], code="energo", name="Энергосбыт")
    return tenants[0]


@pytest.fixture
def beta(tenants):
    SupplierFactory(tenant=tenants[1], code="energo", name="Энергосбыт Беты")
    return tenants[1]


@pytest.fixture
def imported(alpha, tmp_path):
    """``alpha`` with all of DATA imported."""
    run_import(alpha, write_all(tmp_path / "base"))
    return alpha


# --- Dependency order, idempotence, corrections -------------------------------------------


def test_files_given_in_the_wrong_order_are_applied_in_dependency_order(alpha, tmp_path):
    write_all(tmp_path)
    report = run_import(alpha, *(tmp_path / f"{kind}.csv" for kind in reversed(imports.KINDS)))

    assert [entry["kind"] for entry in report["files"]] == list(imports.KINDS)
    for entry in report["files"]:
        kind = entry["kind"]
        assert (entry["read"], entry["created"], entry["updated"], entry["unchanged"], entry["rejected"]) == (
            READ[kind], READ[kind], 0, 0, []
        ), kind
    assert report["written"] is True
    assert counts(alpha) == READ | {"invoices": 2}

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
    write_csv(directory, "payments_a.csv", DATA["payments"])
    for kind in reversed(imports.KINDS[:-1]):
        write_csv(directory, f"{kind}.csv", DATA[kind])
    report = run_import(alpha, directory)
    assert [entry["kind"] for entry in report["files"]] == list(imports.KINDS)
    assert all(entry["rejected"] == [] for entry in report["files"])
    assert counts(alpha) == READ | {"invoices": 2}


def test_importing_the_same_files_again_changes_nothing(imported, tmp_path):
    before = snapshot(imported)
    report = run_import(imported, write_all(tmp_path / "again"))

    for entry in report["files"]:
        assert (entry["created"], entry["updated"], entry["unchanged"], entry["rejected"]) == (
            0, 0, READ[entry["kind"]], []
        ), entry["kind"]
    assert report["written"] is False
    assert snapshot(imported) == before


def test_a_corrected_file_updates_exactly_the_changed_rows_in_place(imported, tmp_path):
    with tenant_scope(imported):
        account_ids = dict(Account.objects.values_list("number", "pk"))
        charge_ids = set(Charge.objects.values_list("pk", flat=True))
        other_account = Account.objects.get(number="100200301")
    accounts = DATA["accounts"].replace("Иванов Иван Иванович", "Иванова Мария Петровна")
    charges = DATA["charges"].replace("1200;0;;0;1150;", "1250;0;;0;1200,50;")
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
    paths = [write_csv(tmp_path, "counterparties.csv", DATA["counterparties"]),
             write_csv(tmp_path, "accounts.csv", accounts)]
    report = run_import(alpha, *paths, refused=True)

    files = by_kind(report)
    assert files["accounts"]["refused"] == "required column missing: subscriber_type"
    assert (files["accounts"]["read"], files["accounts"]["created"]) == (0, 0)
    assert files["counterparties"]["created"] == 2  # the other file still imports
    assert report["written"] is True
    assert counts(alpha)["accounts"] == 0
    assert counts(alpha)["counterparties"] == 2
    with tenant_scope(alpha):
        recorded = ImportFile.objects.get(name="accounts.csv")
    assert recorded.problem == "required column missing: subscriber_type"


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


# --- Bad rows -----------------------------------------------------------------------------

NEXT_MONTH = (timezone.localdate().replace(day=1) + timedelta(days=31)).strftime("%Y-%m")
TOMORROW = (timezone.localdate() + timedelta(days=1)).strftime("%d.%m.%Y")

# (file, header, a good row, a bad row, the bad row's reason): the bad row is line 2, the
# good row line 3, so a bad row does not stop the rows after it.
BAD_ROWS = {
    "not a number": (
        "charges", "supplier;account_number;period;service;closing_balance",
        "energo;100200301;2026-09;electricity;10", "energo;100200301;2026-08;electricity;12a",
        "closing_balance: «12a» is not a number",
    ),
    "a number with spaces": (
        "payments", "supplier;account_number;paid_at;amount",
        "energo;100200300;2026-09-01T10:00:00+03:00;10", "energo;100200300;2026-09-02T10:00:00+03:00;1 000",
        "amount: «1 000» is not a number",
    ),
    "too many decimals in money": (
        "payments", "supplier;account_number;paid_at;amount",
        "energo;100200300;2026-09-01T10:00:00+03:00;10,5", "energo;100200300;2026-09-02T10:00:00+03:00;10,123",
        "amount: «10,123» has more than 2 decimals",
    ),
    "an ISO date that does not exist": (
        "contracts", "supplier;contract_number;inn;signed_on",
        "energo;2001;6229001125;2024-02-29", "energo;2002;6229001125;2026-02-31",
        "signed_on: «2026-02-31» is not a date (YYYY-MM-DD or DD.MM.YYYY)",
    ),
    "a Russian date that does not exist": (
        "contracts", "supplier;contract_number;inn;signed_on",
        "energo;2001;6229001125;29.02.2024", "energo;2002;6229001125;31.02.2026",
        "signed_on: «31.02.2026» is not a date (YYYY-MM-DD or DD.MM.YYYY)",
    ),
    "a period in the future": (
        "charges", "supplier;account_number;period;service;closing_balance",
        "energo;100200301;2026-09;electricity;10", f"energo;100200301;{NEXT_MONTH};electricity;10",
        f"period: «{NEXT_MONTH}» is in the future",
    ),
    "not a period": (
        "charges", "supplier;account_number;period;service;closing_balance",
        "energo;100200301;2026-09;electricity;10", "energo;100200301;2026-13;electricity;10",
        "period: «2026-13» is not a period (YYYY-MM)",
    ),
    "a reading taken in the future": (
        "readings", "supplier;account_number;serial;value;taken_on",
        "energo;100200300;W-001;124;2026-11-01", f"energo;100200300;W-001;125;{TOMORROW}",
        f"taken_on: «{TOMORROW}» is in the future",
    ),
    "a time without offset": (
        "payments", "supplier;account_number;paid_at;amount",
        "energo;100200300;2026-09-01T10:00:00+03:00;10", "energo;100200300;2026-09-02T10:00:00;10",
        "paid_at: «2026-09-02T10:00:00» is not a time with a UTC offset (2026-05-01T10:00:00+03:00)",
    ),
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
    "an unknown account for a meter": (
        "meters", "supplier;account_number;serial;service",
        "energo;100200301;G-1;gas", "energo;999999;G-2;gas",
        "unknown account energo 999999",
    ),
    "a charge of an unknown account": (
        "charges", "supplier;account_number;period;service;closing_balance",
        "energo;100200301;2026-09;electricity;10", "energo;999999;2026-09;electricity;10",
        "unknown account energo 999999",
    ),
    "a reading of an unknown meter": (
        "readings", "supplier;account_number;serial;value;taken_on",
        "energo;100200300;W-001;124;2026-11-01", "energo;100200300;X-404;124;2026-11-01",
        "unknown meter energo 100200300 X-404",
    ),
    "more whole digits than the meter has": (
        "readings", "supplier;account_number;serial;zone;value;taken_on",
        "energo;100200300;E-001;1;999999,9;2026-11-01", "energo;100200300;E-001;2;1000000;2026-11-01",
        "value «1000000» has more digits than the meter (6+1 before and after the point)",
    ),
    "more decimals than the meter has": (
        "readings", "supplier;account_number;serial;zone;value;taken_on",
        "energo;100200300;E-001;1;12400,5;2026-11-01", "energo;100200300;E-001;2;4600,25;2026-11-01",
        "value «4600.25» has more digits than the meter (6+1 before and after the point)",
    ),
    "a zone beyond the meter's zones": (
        "readings", "supplier;account_number;serial;zone;value;taken_on",
        "energo;100200300;E-001;2;4600;2026-11-01", "energo;100200300;E-001;3;100;2026-11-01",
        "zone 3 but the meter has 2",
    ),
    "a zone beyond three": (
        "readings", "supplier;account_number;serial;zone;value;taken_on",
        "energo;100200300;E-001;2;4600;2026-11-01", "energo;100200300;E-001;4;100;2026-11-01",
        "zone: «4» is not a whole number from 1 to 3",
    ),
    "a bad subscriber type": (
        "accounts", "supplier;account_number;subscriber_type",
        "energo;555;legal", "energo;556;company",
        "subscriber_type: «company» is not one of: individual, legal",
    ),
    "a bad service": (
        "meters", "supplier;account_number;serial;service",
        "energo;100200301;G-1;gas", "energo;100200301;G-2;steam",
        "service: «steam» is not one of: electricity, gas, cold_water, hot_water, heat",
    ),
    "a bad phone": (
        "contracts", "supplier;contract_number;inn;phones",
        "energo;2001;6229001125;+7 900 123-45-67", "energo;2002;6229001125;+79001234567,12345",
        "phones: «12345» is not a Russian mobile number",
    ),
    "a bad e-mail": (
        "accounts", "supplier;account_number;subscriber_type;emails",
        "energo;555;individual;a@example.com", "energo;556;individual;a@example.com,not-an-email",
        "emails: «not-an-email» is not an e-mail address",
    ),
    "a bad INN": (
        "counterparties", "inn;name",
        "7700000000;ООО «Ромашка»", "77000;ООО «Лютик»",
        "inn: «77000» is not an INN (10 or 12 digits)",
    ),
    "digits of another script in money": (
        "payments", "supplier;account_number;paid_at;amount",
        "energo;100200300;2026-09-01T10:00:00+03:00;10", "energo;100200300;2026-09-02T10:00:00+03:00;١٢",
        "amount: «١٢» is not a number",
    ),
    "a superscript digit in a whole number": (
        "meters", "supplier;account_number;serial;service;digits",
        "energo;100200301;G-1;gas;5", "energo;100200301;G-2;gas;²",
        "digits: «²» is not a whole number from 1 to 12",
    ),
    "a NUL character": (
        "counterparties", "inn;name",
        "7700000000;ООО «Ромашка»", "7700000001;ООО\x00«Лютик»",
        "name: contains a NUL character (is the file plain text?)",
    ),
    "an empty required value": (
        "accounts", "supplier;account_number;subscriber_type",
        "energo;555;legal", "energo;;legal",
        "account_number is empty",
    ),
}


@pytest.mark.parametrize("kind, header, good, bad, reason", BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_a_bad_row_is_rejected_with_its_line_and_reason(imported, tmp_path, kind, header, good, bad, reason):
    before = counts(imported)
    report = run_import(imported, write_csv(tmp_path, f"{kind}.csv", f"{header}\n{bad}\n{good}\n"))

    entry = report["files"][0]
    assert entry["rejected"] == [{"line": 2, "reason": reason}]
    assert (entry["read"], entry["created"], entry["updated"]) == (2, 1, 0)
    assert report["written"] is True
    assert counts(imported)[kind] == before[kind] + 1


def test_bad_rows_of_every_kind_keep_their_own_line_numbers(imported, tmp_path):
    readings = """
        supplier;account_number;serial;zone;value;taken_on

        energo;100200300;E-001;1;abc;2026-11-01
        energo;100200300;E-001;1;12400;2026-11-01
        energo;100200300;E-001;3;12400;2026-11-01
        energo;100200300;W-001;1;123,4567;2026-11-01
    """
    report = run_import(imported, write_csv(tmp_path, "readings.csv", readings))

    entry = report["files"][0]
    assert entry["rejected"] == [  # line 2 is blank: no row, but a line
        {"line": 3, "reason": "value: «abc» is not a number"},
        {"line": 5, "reason": "zone 3 but the meter has 2"},
        {"line": 6, "reason": "value «123.4567» has more digits than the meter (5+3 before and after the point)"},
    ]
    assert (entry["read"], entry["created"]) == (4, 1)


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
    assert counts(alpha)["accounts"] == 0


# --- Encodings and number and date forms --------------------------------------------------


@pytest.mark.parametrize("encoding, option", [
    ("utf-8-sig", None), ("utf-8", None), ("cp1251", None),
    ("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8"), ("cp1251", "cp1251"), ("cp1251", "windows-1251"),
])
def test_every_encoding_gives_the_same_rows(alpha, tmp_path, encoding, option):
    paths = [write_csv(tmp_path, f"{kind}.csv", DATA[kind], encoding=encoding)
             for kind in ("counterparties", "contracts", "accounts", "charges")]
    report = run_import(alpha, *paths, *(["--encoding", option] if option else []))

    assert all(entry["rejected"] == [] and entry["created"] == READ[entry["kind"]] for entry in report["files"])
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
    path = write_csv(tmp_path, "counterparties.csv", DATA["counterparties"], encoding="cp1251")
    report = run_import(alpha, path, "--encoding", "utf-8", refused=True)

    assert report["files"][0]["refused"].startswith("cannot be read as utf-8")
    assert report["written"] is False
    assert counts(alpha)["counterparties"] == 0


def test_a_byte_order_mark_is_not_part_of_the_first_column(alpha, tmp_path):
    # Read as plain UTF-8 the BOM would glue itself to "inn" and refuse the file.
    path = write_csv(tmp_path, "counterparties.csv", DATA["counterparties"], encoding="utf-8-sig")
    report = run_import(alpha, path, "--encoding", "utf-8")
    assert report["files"][0]["created"] == 2


def test_decimal_comma_and_point_and_both_date_forms_read_the_same(alpha, tmp_path):
    charges = """
        supplier;account_number;period;service;volume;tariff;charged;closing_balance;due_on
        energo;100200300;2026-10;electricity;150,5;6,45;970,73;970,73;25.11.2026
        energo;100200300;2026-10;gas;150.5;6.45;970.73;970.73;2026-11-25
    """
    report = run_import(alpha, write_csv(tmp_path, "accounts.csv", DATA["accounts"]),
                        write_csv(tmp_path, "charges.csv", charges))

    assert by_kind(report)["charges"]["created"] == 2
    with tenant_scope(alpha):
        rows = set(Charge.objects.values_list("volume", "tariff", "charged", "closing_balance", "due_on"))
    assert rows == {(Decimal("150.5"), Decimal("6.45"), Decimal("970.73"), Decimal("970.73"), date(2026, 11, 25))}


# --- One transaction per file ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_crash_in_the_middle_of_a_file_leaves_the_database_as_before_that_file(alpha, tmp_path, monkeypatch):
    run_import(alpha, write_all(tmp_path / "base"))
    before = snapshot(alpha)
    apply = imports._apply
    applied = []

    def crash_on_the_second_file(cursor, kind, values, dialect):
        counts = apply(cursor, kind, values, dialect)  # the file's rows are written…
        applied.append(kind.name)
        if len(applied) == 2:
            raise RuntimeError("the machine crashed")  # …and then the process dies
        return counts

    monkeypatch.setattr(imports, "_apply", crash_on_the_second_file)
    counterparties = DATA["counterparties"] + "7700000000;;ООО «Новое»;\n"
    accounts = (DATA["accounts"].replace("Иванов Иван Иванович", "Другой Владелец")
                + "energo;777;individual;Новый;;;;;\n")
    with pytest.raises(RuntimeError, match="the machine crashed"):
        run_import(alpha, write_csv(tmp_path, "counterparties.csv", counterparties),
                   write_csv(tmp_path, "accounts.csv", accounts))

    assert applied == ["counterparties", "accounts"]
    after = snapshot(alpha)
    assert after["accounts"] == before["accounts"]  # neither the new account nor the new holder
    assert len(after["counterparties"]) == len(before["counterparties"]) + 1  # the earlier file stays
    with tenant_scope(alpha):
        assert Counterparty.objects.filter(inn="7700000000").exists()
        assert not Account.objects.filter(number="777").exists()


@pytest.mark.django_db(transaction=True)
def test_ctrl_c_while_reading_a_file_leaves_the_database_as_before_that_file(alpha, tmp_path, monkeypatch):
    read_rows = imports.read_rows

    def interrupted_after_two_rows(binary, kind, *args, **kwargs):
        for number, row in enumerate(read_rows(binary, kind, *args, **kwargs)):
            if kind.name == "accounts" and number == 2:
                raise KeyboardInterrupt
            yield row

    monkeypatch.setattr(imports, "read_rows", interrupted_after_two_rows)
    accounts = DATA["accounts"] + "energo;777;individual;Новый;;;;;\n"
    with pytest.raises(KeyboardInterrupt):
        run_import(alpha, write_csv(tmp_path, "counterparties.csv", DATA["counterparties"]),
                   write_csv(tmp_path, "accounts.csv", accounts))

    assert counts(alpha)["counterparties"] == 2
    assert counts(alpha)["accounts"] == 0
    monkeypatch.setattr(imports, "read_rows", read_rows)
    report = run_import(alpha, tmp_path / "accounts.csv")  # the connection is still usable
    assert report["files"][0]["created"] == 3


# --- Dry run and the report -----------------------------------------------------------------


def test_a_dry_run_writes_nothing_but_reports_the_same_figures(alpha, tmp_path):
    directory = write_all(tmp_path / "files")
    dry = run_import(alpha, directory, "--dry-run")

    assert counts(alpha) == dict.fromkeys([*MODELS, "invoices"], 0)
    assert dry["written"] is False
    assert "Dry run: everything was rolled back." in dry.stdout
    real = run_import(alpha, directory)
    assert real["written"] is True
    assert dry["files"] == real["files"]  # dependent files see the earlier ones, as for real
    assert all(entry["created"] == READ[entry["kind"]] for entry in dry["files"])


def test_a_dry_run_of_a_corrected_file_reports_the_update_and_keeps_the_old_value(imported, tmp_path):
    accounts = DATA["accounts"].replace("Иванов Иван Иванович", "Иванова Мария Петровна")
    report = run_import(imported, write_csv(tmp_path, "accounts.csv", accounts), "--dry-run")

    assert (report["files"][0]["updated"], report["files"][0]["unchanged"]) == (1, 1)
    assert report["written"] is False
    with tenant_scope(imported):
        assert Account.objects.get(number="100200300").holder_name == "Иванов Иван Иванович"


def test_the_json_report_has_the_documented_structure(imported, tmp_path):
    meters = """
        supplier;account_number;serial;service
        energo;100200300;E-001;electricity
        energo;404;G-1;gas
        energo;100200301;G-2;gas
    """
    report = run_import(imported, write_csv(tmp_path, "meters.csv", meters))

    assert report == {
        "files": [{
            "file": "meters.csv", "kind": "meters", "read": 3, "created": 1, "updated": 0, "unchanged": 1,
            "rejected": [{"line": 3, "reason": "unknown account energo 404"}],
        }],
        "written": True,
    }


def test_the_printed_report_gives_figures_reasons_and_whether_anything_was_written(imported, tmp_path):
    report = run_import(imported, write_csv(tmp_path, "accounts.csv", DATA["accounts"] + "energo;1;person;;;;;;\n"))
    assert report.stdout.splitlines() == [
        "accounts.csv (accounts): read 3, created 0, updated 0, unchanged 2, rejected 1",
        "  line 4: subscriber_type: «person» is not one of: individual, legal",
        "Nothing was written.",
    ]


# --- Billing's verdict on exported portal readings -------------------------------------------


def portal_reading(tenant, *, status=Reading.Status.EXPORTED, serial="E-001", value="12400"):
    with tenant_scope(tenant):
        return Reading.objects.create(
            tenant=tenant, meter=Meter.objects.get(serial=serial), zone=1, value=Decimal(value),
            taken_on=date(2026, 11, 1), source=Reading.Source.PORTAL, submitted_at=timezone.now(), status=status,
        )


VERDICT_HEADER = "supplier;account_number;serial;zone;value;taken_on;source;portal_reading_id;status;status_reason"


def test_billings_verdict_updates_the_exported_portal_reading(imported, tmp_path):
    rejected = portal_reading(imported)
    accepted = portal_reading(imported, serial="W-001", value="124")
    readings = f"""
        {VERDICT_HEADER}
        energo;100200300;E-001;1;12400;2026-11-01;portal;{rejected.pk};rejected;меньше предыдущего показания
        energo;100200300;W-001;1;124;01.11.2026;portal;{accepted.pk};accepted;
    """
    report = run_import(imported, write_csv(tmp_path, "readings.csv", readings))

    entry = report["files"][0]
    assert (entry["created"], entry["updated"], entry["rejected"]) == (0, 2, [])
    with tenant_scope(imported):
        rejected.refresh_from_db()
        accepted.refresh_from_db()
        assert Reading.objects.count() == 5  # three of billing's, two of the portal's: no new row
    assert (rejected.status, rejected.status_reason) == ("rejected", "меньше предыдущего показания")
    assert (accepted.status, accepted.status_reason) == ("accepted", "")
    again = run_import(imported, tmp_path / "readings.csv")
    assert (again["files"][0]["updated"], again["files"][0]["unchanged"]) == (0, 2)


def test_a_verdict_on_a_reading_not_yet_exported_is_rejected(imported, tmp_path):
    submitted = portal_reading(imported, status=Reading.Status.SUBMITTED)
    readings = f"""
        {VERDICT_HEADER}
        energo;100200300;E-001;1;12400;2026-11-01;portal;{submitted.pk};accepted;
        energo;100200300;E-001;1;12400;2026-11-01;portal;;accepted;
        energo;100200300;E-001;1;12400;2026-11-01;portal;{submitted.pk};;
    """
    report = run_import(imported, write_csv(tmp_path, "readings.csv", readings))

    assert report["files"][0]["rejected"] == [
        {"line": 2, "reason": f"portal reading {submitted.pk} was never exported"},
        {"line": 3, "reason": "status is only for rows with portal_reading_id"},
        {"line": 4, "reason": "a row with portal_reading_id needs status accepted or rejected"},
    ]
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_a_verdict_on_another_tenants_reading_is_rejected(imported, beta, tmp_path):
    run_import(beta, write_all(tmp_path / "beta"))
    theirs = portal_reading(beta)
    readings = f"""
        {VERDICT_HEADER}
        energo;100200300;E-001;1;12400;2026-11-01;portal;{theirs.pk};rejected;чужое
    """
    report = run_import(imported, write_csv(tmp_path, "readings.csv", readings))

    assert report["files"][0]["rejected"] == [
        {"line": 2, "reason": f"portal reading {theirs.pk} does not exist for this meter"},
    ]
    assert report["written"] is False
    theirs.refresh_from_db()
    assert (theirs.status, theirs.status_reason) == ("exported", "")


# --- Invoices -------------------------------------------------------------------------------


def test_charges_make_one_invoice_per_account_and_period(imported, tmp_path):
    with tenant_scope(imported):
        invoices = {(invoice.account.number, invoice.period): invoice for invoice in Invoice.objects.all()}
    assert set(invoices) == {("100200300", date(2026, 10, 1)), ("100200301", date(2026, 10, 1))}
    mine = invoices["100200300", date(2026, 10, 1)]
    assert (mine.number, mine.total, mine.due_on) == ("INV-10-1", Decimal("1126.95"), date(2026, 11, 25))
    assert invoices["100200301", date(2026, 10, 1)].total == Decimal("1150")

    september = DATA["charges"] + "energo;100200300;2026-09;electricity;0;;;;80;0;;0;80;INV-09-1;2026-10-25\n"
    report = run_import(imported, write_csv(tmp_path, "charges.csv", september))
    assert (report["files"][0]["created"], report["files"][0]["unchanged"]) == (1, 3)
    with tenant_scope(imported):
        assert Invoice.objects.count() == 3
        assert Invoice.objects.get(period=date(2026, 9, 1)).total == Decimal("80")
        assert {invoice.pk: invoice.total for invoice in Invoice.objects.filter(period=date(2026, 10, 1))} == {
            mine.pk: Decimal("1126.95"), invoices["100200301", date(2026, 10, 1)].pk: Decimal("1150"),
        }
    before = snapshot(imported)["invoices"]
    run_import(imported, tmp_path / "charges.csv")
    assert snapshot(imported)["invoices"] == before


# --- Tenants --------------------------------------------------------------------------------


def test_an_import_never_touches_or_resolves_another_tenants_rows(alpha, beta, tmp_path):
    run_import(beta, write_all(tmp_path / "beta"))
    theirs = snapshot(beta)
    # Same supplier code, INNs and account numbers, but alpha has none of the rows yet:
    # every row naming them is unknown here, though beta has them.
    report = run_import(alpha, *(write_csv(tmp_path / "alpha", f"{kind}.csv", DATA[kind])
                                 for kind in ("contracts", "meters", "charges")))
    assert [entry["created"] for entry in report["files"]] == [0, 0, 0]
    files = by_kind(report)
    assert files["contracts"]["rejected"][0]["reason"] == (
        "no counterparty with INN 6229001125 (counterparties.csv comes first)"
    )
    assert files["meters"]["rejected"][0]["reason"] == "unknown account energo 100200300"
    assert files["charges"]["rejected"][0]["reason"] == "unknown account energo 100200300"

    report = run_import(alpha, write_all(tmp_path / "alpha"))
    assert all(entry["created"] == READ[entry["kind"]] for entry in report["files"])  # none "unchanged"
    corrected = DATA["accounts"].replace("Иванов Иван Иванович", "Альфин Владелец")
    report = run_import(alpha, write_csv(tmp_path / "alpha", "accounts.csv", corrected))
    assert (report["files"][0]["updated"], report["files"][0]["unchanged"]) == (1, 1)

    assert counts(alpha) == counts(beta) == READ | {"invoices": 2}
    assert snapshot(beta) == theirs
    with tenant_scope(alpha):
        assert Account.objects.get(number="100200300").holder_name == "Альфин Владелец"
        assert {meter.account.supplier.tenant for meter in Meter.objects.all()} == {alpha}
    with tenant_scope(beta):
        assert Account.objects.get(number="100200300").holder_name == "Иванов Иван Иванович"


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

    report = run_import(imported, write_csv(tmp_path, "accounts.csv", DATA["accounts"]))
    assert (report["files"][0]["updated"], report["files"][0]["unchanged"]) == (0, 2)
    report = run_import(imported, write_csv(tmp_path, "accounts.csv", DATA["accounts"].replace(";4821;", ";1111;")))
    assert report["files"][0]["updated"] == 1
    with tenant_scope(imported):
        account = Account.objects.select_related("supplier").get(number="100200300")
    assert pins.pin_matches(account, "1111") and not pins.pin_matches(account, "4821")


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


# --- The record of a run ----------------------------------------------------------------------


def test_the_command_records_the_run_with_its_files_and_rejected_lines(imported, tmp_path):
    accounts = DATA["accounts"] + "energo;1;person;;;;;;\n"
    run_import(imported, write_csv(tmp_path, "accounts.csv", accounts),
               write_csv(tmp_path, "counterparties.csv", DATA["counterparties"]))

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


# --- The supplier's payee details ---------------------------------------------------------------

SBERBANK_BIC = "044525225"
SBERBANK_CORRESPONDENT = "30101810400000000225"


def payee(**details):
    """A supplier with complete payee details (``details`` replaces some), not saved."""
    valid = {
        "payee_name": "АО «Энергосбыт»", "inn": "6229001125", "kpp": "622901001",
        "settlement_account": with_key("40702810000000001234", SBERBANK_BIC[-3:]), "bic": SBERBANK_BIC,
        "correspondent_account": SBERBANK_CORRESPONDENT, "bank_name": "ПАО Сбербанк",
    }
    return SupplierFactory.build(code="energo", **{**valid, **details})


def test_a_valid_payee_passes():
    supplier = payee()
    supplier.clean()
    assert supplier.has_payee


def test_no_payee_details_at_all_pass():
    SupplierFactory.build(code="energo").clean()


@pytest.mark.parametrize("field, value, code", [
    ("settlement_account", "mistype", "account_key"),
    ("correspondent_account", "30101810400000000226", "correspondent_key"),
    ("bic", "044525226", "account_key"),
    ("bic", "04452522", "invalid_bic"),
    ("settlement_account", "4070281000000000123", "invalid_account"),
    ("inn", "62290011", "invalid_inn"),
])
def test_a_mistyped_payee_detail_fails(field, value, code):
    if value == "mistype":  # one digit of a valid account changed
        right = payee().settlement_account
        value = right[:-1] + str((int(right[-1]) + 1) % 10)
    with pytest.raises(ValidationError) as raised:
        payee(**{field: value}).clean()
    errors = raised.value.error_dict
    assert code in {error.code for problems in errors.values() for error in problems}


def test_partial_payee_details_fail():
    supplier = SupplierFactory.build(code="energo", bic=SBERBANK_BIC, correspondent_account=SBERBANK_CORRESPONDENT)
    with pytest.raises(ValidationError) as raised:
        supplier.clean()
    assert set(raised.value.error_dict) == {"payee_name", "inn", "settlement_account", "bank_name"}


def test_a_large_load_refreshes_the_planners_statistics(imported, tmp_path, monkeypatch):
    """After a big file the table is ANALYZEd, so page queries get index plans at once."""
    from billing import imports

    monkeypatch.setattr(imports, "ANALYZE_AFTER_ROWS", 1)
    run_import(imported, write_csv(tmp_path, "charges.csv", DATA["charges"].replace("2026-10", "2026-09")))
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_stat_user_tables WHERE relname IN ('billing_charge', 'billing_invoice')"
                       " AND last_analyze IS NOT NULL ORDER BY relname")
        assert [row[0] for row in cursor.fetchall()] == ["billing_charge", "billing_invoice"]


# --- What other apps hear -------------------------------------------------------------------


def test_an_import_that_writes_tells_listeners_once_after_commit_and_a_dry_run_tells_nobody(
    alpha, tmp_path, django_capture_on_commit_callbacks
):
    from billing.signals import billing_data_changed

    heard = []

    def listener(*, tenant, kinds, **kwargs):
        heard.append((tenant.pk, sorted(kinds)))

    billing_data_changed.connect(listener)
    try:
        directory = write_all(tmp_path / "files")
        with django_capture_on_commit_callbacks(execute=True):
            run_import(alpha, directory, "--dry-run")
        assert heard == []
        with django_capture_on_commit_callbacks(execute=True):
            run_import(alpha, directory)
        assert heard == [(alpha.pk, sorted(DATA))]
        with django_capture_on_commit_callbacks(execute=True):
            run_import(alpha, directory)  # everything unchanged: nothing written, nothing heard
        assert len(heard) == 1
    finally:
        billing_data_changed.disconnect(listener)
