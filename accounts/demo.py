"""The demo's people: each tenant's staff member and the platform superuser, with the
shared demo second factor. seed_demo (portal/demo.py) calls ``seed``."""

from django.utils.translation import gettext_noop as _noop

STAFF_USERNAME = "staff"
STAFF_PASSWORD = "demo-staff-2026"
SUPERUSER_USERNAME = "admin"
SUPERUSER_PASSWORD = "demo-admin-2026"
# The admin asks staff for a TOTP code. Every demo staff user and the superuser share this
# demo key (RFC 4226's test key): add OTP_DEMO_SECRET to an authenticator app, or print the
# current code with the command in README.
OTP_DEMO_KEY = "3132333435363738393031323334353637383930"
OTP_DEMO_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
STAFF_GROUP = _noop("Сотрудники организации")
# What tenant staff may do in the admin; the tenant scope limits it to their own rows.
STAFF_PERMISSIONS = [
    "portal.view_tenant",
    "portal.view_tenantpolicy",
    "portal.view_tenantdomain",
    "billing.view_supplier",
    "billing.add_supplier",
    "billing.change_supplier",
    "portal.view_consentdocument",
    "portal.add_consentdocument",
    "portal.change_consentdocument",
    "accounts.view_user",
    "accounts.add_user",
    "accounts.change_user",
]


def seed(tenants):
    """Staff of each tenant and the platform superuser; passwords only when created."""
    from django.contrib.auth.models import Group, Permission
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from portal.scoping import tenant_scope

    from .models import User

    staff_group, _created = Group.objects.get_or_create(name=STAFF_GROUP)
    staff_group.permissions.set(
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in (name.split(".") for name in STAFF_PERMISSIONS)
    )

    def ensure_demo_totp(user):
        TOTPDevice.objects.get_or_create(user=user, name="demo", defaults={"key": OTP_DEMO_KEY, "confirmed": True})

    for tenant in tenants:
        with tenant_scope(tenant):
            staff, created = User.objects.get_or_create(
                tenant=tenant, username=STAFF_USERNAME,
                defaults={"is_staff": True, "email": f"{STAFF_USERNAME}@{tenant.slug}.example",
                          "first_name": "Сотрудник", "last_name": tenant.short_name[:150]},
            )
            if created:
                staff.set_password(STAFF_PASSWORD)
                staff.save()
                staff.groups.add(staff_group)
            ensure_demo_totp(staff)
    with tenant_scope(None):
        admin, created = User.objects.get_or_create(
            tenant=None, username=SUPERUSER_USERNAME,
            defaults={"is_staff": True, "is_superuser": True, "email": "admin@localhost"},
        )
        if created:
            admin.set_password(SUPERUSER_PASSWORD)
            admin.save()
        ensure_demo_totp(admin)
    return [
        f"Platform admin (tenant directory host)/admin/: login {SUPERUSER_USERNAME} / {SUPERUSER_PASSWORD}",
        f"Each tenant's /admin/: staff login {STAFF_USERNAME} / {STAFF_PASSWORD}",
        f"Admin second factor: TOTP secret {OTP_DEMO_SECRET} in an authenticator app, or",
        "  .venv/bin/python manage.py demo_otp_code",
    ]
