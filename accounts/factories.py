"""A customer of a tenant, for tests that need one (portal.factories builds the tenant)."""

import factory

from portal.factories import ScopeFreeFactory, TenantFactory

from .models import User

PASSWORD = "Pass-word-2026"


class UserFactory(ScopeFreeFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    tenant = factory.SubFactory(TenantFactory)
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    username = factory.LazyAttribute(lambda user: user.email or user.phone)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(user, create, extracted, **kwargs):
        if create:
            user.save()


def free_the_registrys_first_counterparty():
    """Tests that register guide 000's first counterparty (6229001125, contracts 1001 and
    1002) from scratch: the demo's rgmek consumer holds it, so it steps aside (its links and
    consents go with it; the counterparty is left unregistered)."""
    from portal.models import Tenant
    from portal.scoping import tenant_scope

    from .models import User

    with tenant_scope(Tenant.objects.get(slug="rgmek")):
        User.objects.filter(username="6229001125-1001").delete()
