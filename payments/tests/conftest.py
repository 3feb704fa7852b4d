import pytest

from billing.factories import link
from meters.factories import make_account
from payments.factories import make_shop


@pytest.fixture
def payer(gas, consumer):
    """The consumer with full access to an account that owes 1 500 ₽, whose supplier takes
    payments through the sandbox: (user, client, account, shop)."""
    _alpha, _beta, supplier = gas
    user, client = consumer
    account = make_account(supplier, "23185952")
    link(user, account)
    return user, client, account, make_shop(supplier)
