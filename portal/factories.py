"""factory-boy factories for the kernel's rows: a tenant with its policy. Tests build what
they need with these; the five demo tenants (conftest's demo_tenants) are for tests about
the demo or about one guide's policy."""

import factory

from .models import Tenant, TenantPolicy


class ScopeFreeFactory(factory.django.DjangoModelFactory):
    """Creates through the model's base manager: a factory runs outside any tenant scope,
    where a scoped default manager refuses every query."""

    class Meta:
        abstract = True

    @classmethod
    def _get_manager(cls, model_class):
        return model_class._base_manager


class TenantPolicyFactory(ScopeFreeFactory):
    """The platform's default policy (e-mail login, confirmed by link), a field at a time
    changeable: TenantFactory(policy__login_kind=...)."""

    class Meta:
        model = TenantPolicy
        django_get_or_create = ["tenant"]

    tenant = None


class TenantFactory(ScopeFreeFactory):
    class Meta:
        model = Tenant
        skip_postgeneration_save = True  # the policy is its own row

    slug = factory.Sequence(lambda n: f"tenant{n}")
    name = factory.LazyAttribute(lambda tenant: f"ООО «{tenant.slug.capitalize()}»")
    short_name = factory.LazyAttribute(lambda tenant: tenant.slug.capitalize())
    kind = Tenant.Kind.ELECTRICITY_RETAIL
    policy = factory.RelatedFactory(TenantPolicyFactory, factory_related_name="tenant")
