"""Billing's rows for tests: a supplier, links to accounts, and sets of rows for pages."""

import factory

from portal.factories import ScopeFreeFactory, TenantFactory
from portal.scoping import scopes_disabled

from .models import AccountLink, Supplier


class SupplierFactory(ScopeFreeFactory):
    class Meta:
        model = Supplier

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"supplier{n}")
    name = factory.Sequence(lambda n: f"Поставщик {n}")


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
    """One account of ``supplier`` with a row of every kind billing sends (a meter, a
    reading, a charge, an invoice, a payment), an export and an import run with a file, a
    count of wrong answers, and ``user``'s basic link to the account and PIN request when
    given: for tests of pages that list them."""
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from meters.models import Meter, Reading

    from .models import (
        Account, BillingPayment, Charge, ExportRun, ImportFile, ImportRun, Invoice, PinRequest, WrongAnswers,
    )

    tenant = supplier.tenant
    made = {}

    def create(model, **fields):
        return model._base_manager.create(tenant=tenant, **fields)

    made["account"] = account = create(
        Account, supplier=supplier, number=number, subscriber_type=Account.SubscriberType.INDIVIDUAL,
        holder_name=f"Владелец {number}", address=f"г. Рязань, ул. Счёта {number}")
    made["meter"] = meter = create(Meter, account=account, serial=f"M-{number}", service="electricity")
    made["reading"] = create(Reading, meter=meter, value=Decimal("123.4"), taken_on=datetime.date(2026, 10, 25),
                             source=Reading.Source.AMR)
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
    ("electricity", "кВт·ч", "245.0000", "6.1200"),
    ("gas", "м³", "38.5000", "7.1234"),
    ("cold_water", "м³", "6.2000", "48.9000"),
    ("hot_water", "м³", "3.1000", "241.5000"),
    ("heat", "Гкал", "1.4120", "2845.6700"),
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
