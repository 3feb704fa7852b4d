"""Meters' rows for tests: a personal account as billing sends it, with its meters and their
readings (meters is the lowest floor that knows both accounts and meters)."""

import datetime
from decimal import Decimal

from django.utils import timezone

from billing import pins
from billing.factories import link
from billing.models import Account, BillingPayment, Charge, Invoice
from portal.scoping import scopes_disabled

from .models import Meter, Reading

# The day make_account's meters were last read.
TODAY = datetime.date(2026, 11, 24)


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
