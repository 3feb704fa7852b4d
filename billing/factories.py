"""Billing's rows for tests: a supplier, links to accounts, and sets of rows for pages."""

import factory

from portal.factories import ScopeFreeFactory, TenantFactory
from portal.scoping import scopes_disabled

from .models import Account, AccountLink, Supplier


class SupplierFactory(ScopeFreeFactory):
    class Meta:
        model = Supplier

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"supplier{n}")
    name = factory.Sequence(lambda n: f"Поставщик {n}")


class AccountFactory(ScopeFreeFactory):
    """A personal account of an individual: AccountFactory(supplier=..., number="100")."""

    class Meta:
        model = Account

    supplier = factory.SubFactory(SupplierFactory)
    tenant = factory.LazyAttribute(lambda account: account.supplier.tenant)
    number = factory.Sequence(lambda n: f"{1000000 + n}")
    subscriber_type = Account.SubscriberType.INDIVIDUAL


class AccountLinkFactory(ScopeFreeFactory):
    """A user's link to an account: AccountLinkFactory(user=..., account=..., access="basic").
    Full by default, with a proof on record as full access always has (staff's unless told)."""

    class Meta:
        model = AccountLink

    tenant = factory.LazyAttribute(lambda link: link.account.tenant)
    access = AccountLink.Access.FULL
    proof = factory.LazyAttribute(lambda link: AccountLink.Proof.STAFF if link.access == AccountLink.Access.FULL else "")


def link(user, account, access="full"):
    """``user``'s link to ``account`` (AccountLinkFactory), made outside any tenant scope."""
    with scopes_disabled():
        return AccountLinkFactory(user=user, account=account, access=access)


def billing_rows(supplier, number, *, user=None):
    """One account of ``supplier`` with a row of each of billing's tables (a charge, an
    invoice, a payment), an export and an import run with a file, a count of wrong answers,
    and ``user``'s basic link to the account and PIN request when given: for tests of pages
    that list them. (meters.factories.exchange_rows adds a meter and a reading.)"""
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from .models import (
        Account,
        BillingPayment,
        Charge,
        ExportRun,
        ImportFile,
        ImportRun,
        Invoice,
        PinRequest,
        WrongAnswers,
    )

    tenant = supplier.tenant
    made = {}

    def create(model, **fields):
        return model._base_manager.create(tenant=tenant, **fields)

    made["account"] = account = create(
        Account, supplier=supplier, number=number, subscriber_type=Account.SubscriberType.INDIVIDUAL,
        holder_name=f"Владелец {number}", address=f"г. Рязань, ул. Счёта {number}")
    period = datetime.date(2026, 10, 1)
    made["charge"] = create(Charge, account=account, period=period, service="electricity",
                            charged=Decimal("100.00"), closing_balance=Decimal("100.00"))
    made["invoice"] = create(Invoice, account=account, period=period, number=f"INV-{number}",
                             total=Decimal("100.00"))
    made["payment"] = create(BillingPayment, account=account, paid_at=timezone.now(), amount=Decimal("50.00"),
                             external_id=f"P-{number}")
    made["export_run"] = create(ExportRun, kind=ExportRun.Kind.READINGS, file_name=f"readings_export_{number}.csv")
    made["import_run"] = run = create(ImportRun, status=ImportRun.Status.DONE)
    made["import_file"] = create(ImportFile, run=run, name=f"accounts_{number}.csv", kind="accounts", read=1)
    made["wrong_answers"] = create(WrongAnswers, account=account, day=datetime.date(2026, 11, 1), count=3)
    if user is not None:
        made["link"] = AccountLinkFactory(user=user, account=account, access=AccountLink.Access.BASIC)
        made["pin_request"] = create(PinRequest, user=user, account=account)
    return made


RECEIPT_SERVICES = [
    ("electricity", "kWh", "245.0000", "6.1200"),
    ("gas", "m3", "38.5000", "7.1234"),
    ("cold_water", "m3", "6.2000", "48.9000"),
    ("hot_water", "m3", "3.1000", "241.5000"),
    ("heat", "Gcal", "1.4120", "2845.6700"),
]


def invoice_with_charges(supplier, number, *, services=5, period=None, user=None, access="full"):
    """An account of ``supplier`` with one invoice and its charges, one per service (the
    first ``services`` of RECEIPT_SERVICES), the second one recalculated with a reason, and ``user``'s link with ``access`` when given:
    for tests and benchmarks of receipts. Returns {"account", "invoice", "charges", "link"}."""
    import datetime
    from decimal import Decimal

    from .models import Account, Charge, Invoice

    tenant = supplier.tenant
    period = period or datetime.date(2026, 10, 1)
    due_on = datetime.date(period.year + period.month // 12, period.month % 12 + 1, 10)

    def create(model, **fields):
        return model._base_manager.create(tenant=tenant, **fields)

    account = create(Account, supplier=supplier, number=number, subscriber_type=Account.SubscriberType.INDIVIDUAL,
                     holder_name="Иванова Мария Петровна", address=f"г. Рязань, ул. Почтовая, д. 5, кв. {number[-2:]}")
    charges = []
    for index, (service, unit, volume, tariff) in enumerate(RECEIPT_SERVICES[:services]):
        charged = (Decimal(volume) * Decimal(tariff)).quantize(Decimal("0.01"))
        recalculated = Decimal("-42.17") if index == 1 else Decimal(0)
        opening = Decimal("150.00") if index == 0 else Decimal(0)
        paid = Decimal("150.00") if index == 0 else Decimal(0)
        charges.append(create(
            Charge, account=account, period=period, service=service, opening_balance=opening, volume=Decimal(volume),
            unit=unit, tariff=Decimal(tariff), charged=charged, recalculated=recalculated,
            recalculation_reason="Перерасчёт по показаниям прибора учёта за сентябрь" if recalculated else "",
            paid=paid, closing_balance=opening + charged + recalculated - paid, invoice_number=f"{number}-{period:%m%y}",
            due_on=due_on,
        ))
    invoice = create(Invoice, account=account, period=period, number=f"{number}-{period:%m%y}",
                     total=sum((charge.closing_balance for charge in charges), Decimal(0)), due_on=due_on)
    link = AccountLinkFactory(user=user, account=account, access=access) if user is not None else None
    return {"account": account, "invoice": invoice, "charges": charges, "link": link}


# --- Exchange files (shared/EXCHANGE.md) ---------------------------------------------------

# One tenant's billing data, one file per kind, in both decimal and both date forms: for
# supplier «energo» (exchange_tenant).
EXCHANGE_FILES = {
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
# payments.csv with every column.
PAYMENTS_HEADER = "supplier;account_number;paid_at;amount;channel;external_id"
# The rows of each file of EXCHANGE_FILES.
EXCHANGE_ROWS = {"counterparties": 2, "contracts": 2, "accounts": 2, "meters": 2, "readings": 3, "charges": 3,
                 "payments": 2}


def exchange_tenant(tenant, name="Энергосбыт"):
    """``tenant`` with the supplier «energo» the exchange files name."""
    SupplierFactory(tenant=tenant, code="energo", name=name)
    return tenant


def write_csv(directory, name, text, encoding="utf-8", newline="\n"):
    """``text`` (indented, ';'-separated, header first) as the file ``directory/name``."""
    import textwrap

    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    lines = textwrap.dedent(text).strip("\n").split("\n")
    path.write_bytes("".join(line + newline for line in lines).encode(encoding))
    return path


def write_exchange_files(directory):
    """Every file of EXCHANGE_FILES into ``directory``; the directory."""
    for kind, text in EXCHANGE_FILES.items():
        write_csv(directory, f"{kind}.csv", text)
    return directory


class ImportOutput(dict):
    """The command's JSON report, with what it printed as ``stdout``."""

    stdout = ""


def run_import(tenant, *args, refused=False):
    """``import_billing --tenant … ARGS --report-json …``: the JSON report it wrote.
    ``refused``: some file is expected to be refused whole (the command then fails)."""
    import io
    import json
    import tempfile
    from pathlib import Path

    import pytest
    from django.core.management import call_command
    from django.core.management.base import CommandError

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
            report = ImportOutput(json.load(stream))
    report.stdout = stdout.getvalue()
    return report


def _exchange_tables():
    from portal.exchange.registry import kinds

    return {name: kind.target for name, kind in kinds().items()} | {"invoices": "billing_invoice"}


def stored_rows(tenant):
    """{kind: how many rows of ``tenant`` its table holds}, for every kind of file and invoices."""
    from django.db import connection

    counts = {}
    with connection.cursor() as cursor:
        for name, table in _exchange_tables().items():
            cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE tenant_id = %s", [tenant.pk])
            counts[name] = cursor.fetchone()[0]
    return counts


def stored_snapshot(tenant):
    """Every row of ``tenant`` an import writes, with all its columns: to prove nothing changed."""
    from django.db import connection

    snapshot = {}
    with connection.cursor() as cursor:
        for name, table in _exchange_tables().items():
            cursor.execute(f"SELECT * FROM {table} WHERE tenant_id = %s", [tenant.pk])
            columns = [column.name for column in cursor.description]
            snapshot[name] = sorted(sorted(zip(columns, row)) for row in cursor.fetchall())
    return snapshot


def import_rows(tenant, directory, kind, header, *rows):
    """Import a ``kind`` file of ``header`` and ``rows`` (line 2 on) into ``tenant``: the
    report's entry for it, whether the import wrote, and how many rows the kind's table gained."""
    before = stored_rows(tenant)[kind]
    report = run_import(tenant, write_csv(directory, f"{kind}.csv", "\n".join((header, *rows))))
    return report["files"][0], report["written"], stored_rows(tenant)[kind] - before


def bad_row_outcome(tenant, directory, kind, header, good, bad):
    """Import a ``kind`` file whose line 2 is ``bad`` and line 3 ``good``: the rows it rejected,
    and (read, created, updated, written, gained) — what a bad row must leave of the good one."""
    entry, written, gained = import_rows(tenant, directory, kind, header, bad, good)
    return entry["rejected"], (entry["read"], entry["created"], entry["updated"], written, gained)


def by_kind(report):
    """The files of an import's JSON report, by kind."""
    return {entry["kind"]: entry for entry in report["files"]}


def rejected_reasons(report, kind):
    """(line, reason) of the rejected rows of the ``kind`` file of an import's JSON report."""
    entry = next(entry for entry in report["files"] if entry["kind"] == kind)
    return [(item["line"], item["reason"]) for item in entry["rejected"]]


def export_rows(path):
    """The rows of an export file, as dicts by column."""
    import csv

    with open(path, encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream, delimiter=";"))
