"""A payment's every write stales its account's cached fragments (billing.fragments,
portal.versions): the overview shows «оплачено …, ожидает учёта», the payments page lists it;
a provider account's, every fragment of the tenant."""

from billing.fragments import ACCOUNT, TENANT
from portal.versions import Watch

from .models import Payment, ProviderAccount

WATCHES = [
    Watch(Payment, ACCOUNT, "account_id"),
    # Whether a supplier takes payments in the portal (the pay page's form or its notice).
    Watch(ProviderAccount, TENANT, "tenant_id"),
]
