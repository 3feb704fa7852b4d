"""Meters' rows for tests: a personal account as billing sends it, with its meters and their
readings (meters is the lowest floor that knows both accounts and meters); a meter of a new
account, readings submitted in the portal, and every kind of row billing sends for one account."""

import datetime
from decimal import Decimal

from django.utils import timezone

from billing import pins
from billing.factories import SupplierFactory, billing_rows, link
from billing.models import Account, BillingPayment, Charge, Invoice
from portal.scoping import scopes_disabled, tenant_scope

from .models import Meter, Reading

# The day make_account's meters were last read.
TODAY = datetime.date(2026, 11, 24)

# readings.csv with billing's verdict on readings the portal exported.
VERDICT_HEADER = "supplier;account_number;serial;zone;value;taken_on;source;portal_reading_id;status;status_reason"


def make_account(supplier, number, *, periods=2, meters=1, pin="4821"):
    """An account of ``supplier`` held by «Иванов Иван» with the PIN ``pin``: ``meters`` gas
    meters (serials SN-<number>-<n>, each with an estimated reading of TODAY and verified
    for 30 more days), ``periods`` months of charges and invoices (the last owing 1 500 ₽) and
    a payment of 700 ₽."""
    tenant = supplier.tenant
    with scopes_disabled():
        account = Account.objects.create(
            tenant=tenant, supplier=supplier, number=number, subscriber_type="individual",
            holder_name="Иванов Иван", address="г. Рязань, ул. Ленина, 1",
            pin_hash=pins.pin_hash(tenant.pk, supplier.code, number, pin),
        )
        for index in range(meters):
            meter = Meter.objects.create(tenant=tenant, account=account, serial=f"SN-{number}-{index}", service="gas",
                                         digits=5, decimals=3, verified_until=TODAY + datetime.timedelta(days=30))
            Reading.objects.create(tenant=tenant, meter=meter, value=Decimal("100.5"), taken_on=TODAY, source="estimated")
        for month in range(periods):
            period = datetime.date(2026 - (month + 1) // 12, (11 - month - 1) % 12 + 1, 1)
            Charge.objects.create(tenant=tenant, account=account, period=period, service="gas", charged=Decimal("1234.56"),
                                  closing_balance=Decimal("1500.00") if month == 0 else Decimal("10"),
                                  due_on=period + datetime.timedelta(days=55))
            Invoice.objects.create(tenant=tenant, account=account, period=period, number=f"I-{number}-{month}",
                                   total=Decimal("1500.00"))
        BillingPayment.objects.create(tenant=tenant, account=account, paid_at=timezone.now(), amount=Decimal("700"))
    return account


def linked_accounts(user, supplier, *numbers):
    """Accounts of ``supplier`` numbered ``numbers``, each linked to ``user`` with full access."""
    accounts = [make_account(supplier, number) for number in numbers]
    for account in accounts:
        link(user, account)
    return accounts


def meter_with_account(tenant, *, number="1000000001", decimals=3):
    """A gas meter (5 whole digits) of a new account ``number`` of a new supplier «main»."""
    with scopes_disabled():
        supplier = SupplierFactory(tenant=tenant, code="main")
        account = Account.objects.create(tenant=tenant, supplier=supplier, number=number, subscriber_type="individual")
        return Meter.objects.create(tenant=tenant, account=account, serial=f"S-{number}", service="gas", digits=5,
                                    decimals=decimals)


def make_meter(account, *, history=(), **fields):
    """A meter of ``account``: a gas meter with the model's defaults unless ``fields`` say
    otherwise (serial S<n>), with billing's readings ``history``, (day, value[, source]), in
    every zone."""
    fields = {"service": "gas", **fields}
    fields.setdefault("serial", f"S{Meter._base_manager.count()}")
    meter = Meter._base_manager.create(tenant=account.tenant, account=account, **fields)
    for taken_on, value, *source in history:
        for zone in range(1, meter.zones + 1):
            Reading._base_manager.create(tenant=account.tenant, meter=meter, zone=zone, value=Decimal(value),
                                         taken_on=taken_on, source=source[0] if source else Reading.Source.AMR)
    return meter


def submitted_reading(meter, value, *, taken_on=None):
    """A reading of ``meter`` submitted in the portal and not yet exported."""
    with scopes_disabled():
        return Reading.objects.create(
            tenant_id=meter.tenant_id, meter=meter, value=Decimal(value), taken_on=taken_on or timezone.localdate(),
            source="portal", submitted_at=timezone.now(), status="submitted",
        )


def portal_reading(tenant, *, status=Reading.Status.EXPORTED, serial="E-001", value="12400"):
    """A portal reading of the imported meter ``serial`` (billing.factories.EXCHANGE_FILES),
    exported to billing unless ``status`` says otherwise: what a verdict names."""
    with tenant_scope(tenant):
        return Reading.objects.create(
            tenant=tenant, meter=Meter.objects.get(serial=serial), zone=1, value=Decimal(value),
            taken_on=datetime.date(2026, 11, 1), source=Reading.Source.PORTAL, submitted_at=timezone.now(),
            status=status,
        )


def exchange_rows(supplier, number, *, user=None):
    """billing.factories.billing_rows with the account's meter and one of billing's readings:
    a row of every kind billing sends, for tests of pages that list them."""
    made = billing_rows(supplier, number, user=user)
    made["meter"] = meter = Meter._base_manager.create(
        tenant=supplier.tenant, account=made["account"], serial=f"M-{number}", service="electricity")
    made["reading"] = Reading._base_manager.create(
        tenant=supplier.tenant, meter=meter, value=Decimal("123.4"), taken_on=datetime.date(2026, 10, 25),
        source=Reading.Source.AMR)
    return made
