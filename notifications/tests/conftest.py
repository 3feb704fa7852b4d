import pytest

from billing.factories import SupplierFactory
from meters.models import ReadingWindow
from notifications.factories import create


@pytest.fixture
def alpha(tenants):
    tenant = tenants[0]
    supplier = SupplierFactory(tenant=tenant, code="energo", name="Энергосбыт")
    create(ReadingWindow, tenant, supplier=None, subscriber_type="", first_day=15, last_day=25, strict=False)
    return supplier


@pytest.fixture
def beta(tenants):
    return SupplierFactory(tenant=tenants[1], code="energo", name="Энергосбыт Беты")
