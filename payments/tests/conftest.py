import pytest

from billing.factories import link
from meters.factories import make_account
from payments.models import ProviderAccount
from portal.scoping import scopes_disabled


def make_shop(supplier, *, shop_id=None, secret="sandbox-secret-1", kind="sandbox"):
    with scopes_disabled():
        shop = ProviderAccount(tenant=supplier.tenant, supplier=supplier, kind=kind,
                               shop_id=shop_id or f"shop-{supplier.tenant.slug}-{supplier.code}")
        shop.set_secret(secret)
        shop.save()
    return shop


@pytest.fixture
def payer(gas, consumer):
    """The consumer with full access to an account that owes 1 500 ₽, whose supplier takes
    payments through the sandbox: (user, client, account, shop)."""
    _alpha, _beta, supplier = gas
    user, client = consumer
    account = make_account(supplier, "23185952")
    link(user, account)
    return user, client, account, make_shop(supplier)
