import pytest

from accounts.factories import UserFactory
from billing.factories import AccountLinkFactory, SupplierFactory
from billing.models import Account
from meters.models import Meter, ReadingWindow


def create(model, tenant, **fields):
    return model._base_manager.create(tenant=tenant, **fields)


def subscriber(supplier, number, *, access="full", email="", phone="", meter=True, verified=True, user=None):
    """A user of ``supplier``'s tenant linked to a new account ``number`` (with a meter in
    service unless told otherwise); e-mail and phone confirmed unless ``verified`` is False."""
    tenant = supplier.tenant
    account = create(Account, tenant, supplier=supplier, number=number,
                     subscriber_type=Account.SubscriberType.INDIVIDUAL, holder_name=f"Владелец {number}")
    if meter:
        create(Meter, tenant, account=account, serial=f"M-{number}", service="electricity")
    if user is None:
        user = UserFactory(tenant=tenant, email=email, phone=phone, username=email or phone or number,
                           email_verified=verified and bool(email), phone_verified=verified and bool(phone))
    link = AccountLinkFactory(user=user, account=account, access=access)
    return link


@pytest.fixture
def alpha(tenants):
    tenant = tenants[0]
    supplier = SupplierFactory(tenant=tenant, code="energo", name="Энергосбыт")
    create(ReadingWindow, tenant, supplier=None, subscriber_type="", first_day=15, last_day=25, strict=False)
    return supplier


@pytest.fixture
def beta(tenants):
    return SupplierFactory(tenant=tenants[1], code="energo", name="Энергосбыт Беты")
