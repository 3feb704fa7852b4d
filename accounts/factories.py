"""A customer of a tenant, for tests that need one (portal.factories builds the tenant); staff
on each rung of the roles' ladder (portal.roles)."""

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


def staff_user(tenant, username="staff", *, permissions=None, group=None, tenant_superuser=False, **fields):
    """A staff member of ``tenant`` holding the demo staff's permissions (accounts.demo), or
    the ``permissions`` given (Permission rows or "app.codename" names); through a group of
    that name if ``group`` is given, else their own; ``tenant_superuser``: in the tenant
    superusers' group too, as the demo's director."""
    from django.contrib.auth.models import Group, Permission

    from portal.roles import TENANT_SUPERUSERS_GROUP

    from .demo import STAFF_PERMISSIONS

    user = UserFactory(tenant=tenant, username=username, is_staff=True, **fields)
    if permissions is None:
        permissions = STAFF_PERMISSIONS
    permissions = [Permission.objects.get(content_type__app_label=name.split(".")[0], codename=name.split(".")[1])
                   if isinstance(name, str) else name for name in permissions]
    if group is None:
        user.user_permissions.set(permissions)
    else:
        holder, _created = Group.objects.get_or_create(name=group)
        holder.permissions.set(permissions)
        user.groups.add(holder)
    if tenant_superuser:
        # The migration made the group; a transactional test's flush (the e2e tests) empties the table.
        user.groups.add(Group.objects.get_or_create(name=TENANT_SUPERUSERS_GROUP)[0])
    return user


def platform_superuser(username="root", **fields):
    return UserFactory(tenant=None, username=username, is_staff=True, is_superuser=True, **fields)


def free_the_registrys_first_counterparty():
    """Tests that register guide 000's first counterparty (6229001125, contracts 1001 and
    1002) from scratch: the demo's rgmek consumer holds it, so it steps aside (its links and
    consents go with it; the counterparty is left unregistered)."""
    from portal.models import Tenant
    from portal.scoping import tenant_scope

    from .models import User

    with tenant_scope(Tenant.objects.get(slug="rgmek")):
        User.objects.filter(username="6229001125-1001").delete()


def demo_staff_code():
    """The demo staff's TOTP code of this moment (accounts.demo's key), as their app shows it."""
    from django_otp.oath import totp

    from .demo import OTP_DEMO_KEY

    return f"{totp(bytes.fromhex(OTP_DEMO_KEY)):06d}"


def signup_consents(tenant):
    """The signup form's ticks for every consent document ``tenant`` asks for at signup."""
    from portal.models import ConsentDocument
    from portal.scoping import tenant_scope

    with tenant_scope(tenant):
        return {f"consent_{document.pk}": "on" for document in ConsentDocument.objects.filter(moment="signup")}
