"""A supplier of a tenant, for tests that need one."""

import factory

from portal.factories import ScopeFreeFactory, TenantFactory

from .models import Supplier


class SupplierFactory(ScopeFreeFactory):
    class Meta:
        model = Supplier

    tenant = factory.SubFactory(TenantFactory)
    code = factory.Sequence(lambda n: f"supplier{n}")
    name = factory.Sequence(lambda n: f"Поставщик {n}")
