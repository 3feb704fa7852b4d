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
