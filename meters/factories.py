"""Meters' rows for tests: a meter of a new account, readings submitted in the portal, and
every kind of row billing sends for one account."""

from datetime import date
from decimal import Decimal

from django.utils import timezone

from billing.factories import SupplierFactory, billing_rows
from billing.models import Account
from portal.scoping import scopes_disabled, tenant_scope

from .models import Meter, Reading

# readings.csv with billing's verdict on readings the portal exported.
VERDICT_HEADER = "supplier;account_number;serial;zone;value;taken_on;source;portal_reading_id;status;status_reason"


def meter_with_account(tenant, *, number="1000000001", decimals=3):
    """A gas meter (5 whole digits) of a new account ``number`` of a new supplier «main»."""
    with scopes_disabled():
        supplier = SupplierFactory(tenant=tenant, code="main")
        account = Account.objects.create(tenant=tenant, supplier=supplier, number=number, subscriber_type="individual")
        return Meter.objects.create(tenant=tenant, account=account, serial=f"S-{number}", service="gas", digits=5,
                                    decimals=decimals)


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
            taken_on=date(2026, 11, 1), source=Reading.Source.PORTAL, submitted_at=timezone.now(), status=status,
        )


def exchange_rows(supplier, number, *, user=None):
    """billing.factories.billing_rows with the account's meter and one of billing's readings:
    a row of every kind billing sends, for tests of pages that list them."""
    made = billing_rows(supplier, number, user=user)
    made["meter"] = meter = Meter._base_manager.create(
        tenant=supplier.tenant, account=made["account"], serial=f"M-{number}", service="electricity")
    made["reading"] = Reading._base_manager.create(
        tenant=supplier.tenant, meter=meter, value=Decimal("123.4"), taken_on=date(2026, 10, 25),
        source=Reading.Source.AMR)
    return made
