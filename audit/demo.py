"""The demo's reader of the audit trail: each tenant's «director», a staff member in the
tenant superusers' group (audit.access), after accounts' staff (SEED_AFTER)."""

from accounts import demo as accounts_demo

SEED_AFTER = ("accounts",)
DIRECTOR_USERNAME = "director"
DIRECTOR_PASSWORD = "demo-director-2026"


def seed(tenants):
    from django.contrib.auth.models import Group

    from portal.scoping import tenant_scope

    from .access import TENANT_SUPERUSERS_GROUP

    staff_group = Group.objects.get(name=accounts_demo.STAFF_GROUP)
    # The migration creates the group; a database flushed by tests has lost it.
    superusers_group, _created = Group.objects.get_or_create(name=TENANT_SUPERUSERS_GROUP)
    for tenant in tenants:
        with tenant_scope(tenant):
            accounts_demo.ensure_staff_member(tenant, username=DIRECTOR_USERNAME, password=DIRECTOR_PASSWORD,
                                              first_name="Руководитель", groups=[staff_group, superusers_group])
    return [f"Each tenant's /admin/ with the audit trail (a tenant superuser): {DIRECTOR_USERNAME} / "
            f"{DIRECTOR_PASSWORD}, the same second factor"]
