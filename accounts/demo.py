"""The demo's people: each tenant's staff member, its demo consumer and the platform
superuser, with the shared demo second factor. seed_demo (portal/demo.py) calls ``seed``,
after billing's (SEED_AFTER): the demo consumer links billing's demo accounts."""

from django.utils import timezone
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
# Each tenant's demo consumer: activated, every active consent signed, two of the tenant's
# demo accounts linked with full access (where the tenant has accounts). rgmek's login is the
# one its registration generates for contract 1001 (INN-contract), and the counterparty is
# registered to it, as a registration would leave it.
CONSUMER_PASSWORD = "demo-consumer-2026"
CONSUMER_RGMEK_CONTRACT = ("6229001125", "1001")
CONSUMERS = {
    "rgmek": {"email": "buh@hleb.example"},
    "rosseti": {"last_name": "Орлов", "first_name": "Павел", "middle_name": "Игоревич", "phone": "+79007770102"},
    "gaz": {"last_name": "Кузнецов", "first_name": "Андрей", "middle_name": "Викторович"},
    "mef": {"last_name": "Соколова", "first_name": "Марина", "middle_name": "Сергеевна", "phone": "+79007770104"},
    "mygaz": {"last_name": "Смирнова", "first_name": "Ольга", "middle_name": "Петровна"},
}
SEED_AFTER = ("billing",)
STAFF_GROUP = _noop("Сотрудники организации")
DIRECTOR_USERNAME = "director"
DIRECTOR_PASSWORD = "demo-director-2026"
# What tenant staff may do in the admin; the tenant scope limits it to their own rows.
STAFF_PERMISSIONS = [
    "portal.view_tenant",
    "portal.view_tenantpolicy",
    "portal.view_tenantdomain",
    # The outbox: what was sent, what was given up on and why; «Отправить ещё раз» (change).
    "portal.view_outgoingmessage",
    "portal.change_outgoingmessage",
    "billing.view_supplier",
    "billing.add_supplier",
    "billing.change_supplier",
    # Billing's data: browse only (the admin refuses edits of what billing owns anyway).
    "billing.view_account",
    "billing.view_charge",
    "billing.view_invoice",
    "billing.view_billingpayment",
    "meters.view_meter",
    "meters.view_reading",
    # A reading received by phone: «Внести показание» on a meter (meters.admin), never an
    # edit of billing's readings (their admin refuses add, change and delete to everyone).
    "meters.add_reading",
    # Two people's readings of one meter and period: which goes to billing («Передать в
    # расчёт» on a held reading); the admin still refuses edits of any reading.
    "meters.change_reading",
    # When readings are taken in: the tenant's own windows per supplier and subscriber type.
    "meters.view_readingwindow",
    "meters.add_readingwindow",
    "meters.change_readingwindow",
    "billing.view_exportrun",
    # Imports: staff upload billing's files and read each run's figures and rejected lines.
    "billing.view_importrun",
    "billing.add_importrun",
    "billing.view_importfile",
    # A consumer's link to an account is the portal's: its access level, or unlinking.
    "billing.view_accountlink",
    "billing.change_accountlink",
    "billing.delete_accountlink",
    "billing.view_pinrequest",
    "billing.change_pinrequest",
    # Wrong answers to the control question: lift an account's ceiling for a holder who calls.
    "billing.view_wronganswers",
    "billing.change_wronganswers",
    "portal.view_consentdocument",
    "portal.add_consentdocument",
    "portal.change_consentdocument",
    "accounts.view_user",
    "accounts.add_user",
    "accounts.change_user",
    # The portal's payments: browse, and refund (payments.admin); provider accounts are the
    # platform superuser's.
    "payments.view_payment",
    "payments.change_payment",
    "payments.view_paymentevent",
    # Appeals and applications: answer, assign, change status; the topic list and which
    # applications the tenant takes.
    "appeals.view_appeal",
    "appeals.change_appeal",
    "appeals.view_topic",
    "appeals.add_topic",
    "appeals.change_topic",
    "appeals.delete_topic",
    "appeals.view_appealspolicy",
    "appeals.add_appealspolicy",
    "appeals.change_appealspolicy",
    # A customer's request to delete their account: confirm or reject (privacy.admin).
    "privacy.view_deletionrequest",
    "privacy.change_deletionrequest",
]


def seed(tenants):
    """Staff of each tenant and the platform superuser; passwords only when created."""
    from django.contrib.auth.models import Group, Permission

    from portal.roles import TENANT_SUPERUSERS_GROUP
    from portal.scoping import tenant_scope

    from .models import User

    staff_group, _created = Group.objects.get_or_create(name=STAFF_GROUP)
    staff_group.permissions.set(
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in (name.split(".") for name in STAFF_PERMISSIONS)
    )

    # The director reads the audit trail and changes staff (portal.roles); the group is made by
    # audit's migration, and a database flushed by tests has lost it.
    superusers_group, _created = Group.objects.get_or_create(name=TENANT_SUPERUSERS_GROUP)
    for tenant in tenants:
        with tenant_scope(tenant):
            ensure_staff_member(tenant, username=STAFF_USERNAME, password=STAFF_PASSWORD, first_name="Сотрудник",
                                groups=[staff_group])
            ensure_staff_member(tenant, username=DIRECTOR_USERNAME, password=DIRECTOR_PASSWORD,
                                first_name="Руководитель", groups=[staff_group, superusers_group])
    consumers = [seed_consumer(tenant) for tenant in tenants if tenant.slug in CONSUMERS]
    with tenant_scope(None):
        admin, created = User.objects.get_or_create(
            tenant=None, username=SUPERUSER_USERNAME,
            defaults={"is_staff": True, "is_superuser": True, "email": "admin@localhost"},
        )
        if created:
            admin.set_password(SUPERUSER_PASSWORD)
            admin.save()
        _ensure_demo_totp(admin)
    return [
        f"Platform admin (tenant directory host)/admin/: login {SUPERUSER_USERNAME} / {SUPERUSER_PASSWORD}",
        f"Each tenant's /admin/: staff login {STAFF_USERNAME} / {STAFF_PASSWORD}",
        f"Each tenant's /admin/ with the audit trail (a tenant superuser): {DIRECTOR_USERNAME} / "
        f"{DIRECTOR_PASSWORD}, the same second factor",
        f"Admin second factor: TOTP secret {OTP_DEMO_SECRET} in an authenticator app, or",
        "  .venv/bin/python manage.py demo_otp_code",
        f"Each tenant's demo consumer (password {CONSUMER_PASSWORD}, accounts linked with full access):",
        *(f"  {tenant.slug:<8} {user.username}  ({links} linked accounts)" for tenant, user, links in consumers),
    ]


def ensure_staff_member(tenant, *, username, password, first_name, groups):
    """A demo staff member of ``tenant`` (in its scope) with the demo second factor; the
    password and groups only when created, so a re-seed keeps what was changed since."""
    from .models import User

    user, created = User.objects.get_or_create(
        tenant=tenant, username=username,
        defaults={"is_staff": True, "email": f"{username}@{tenant.slug}.example",
                  "first_name": first_name, "last_name": tenant.short_name[:150]},
    )
    if created:
        user.set_password(password)
        user.save()
        user.groups.add(*groups)
    _ensure_demo_totp(user)
    return user


def _ensure_demo_totp(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.get_or_create(user=user, name="demo", defaults={"key": OTP_DEMO_KEY, "confirmed": True})


def consumer_login(tenant):
    if tenant.slug == "rgmek":
        from .registration import generated_login

        inn, contract = CONSUMER_RGMEK_CONTRACT
        return generated_login(inn=inn, contract_number=contract)
    return f"consumer@{tenant.slug}.example"


DEMO_PROOFS = {"by_registration": "contract", "wizard": "wizard", "by_number": "pin"}


def seed_consumer(tenant):
    """The tenant's demo consumer as a finished registration leaves it; the password only
    when created. Returns (tenant, user, number of linked accounts)."""
    from billing.demo import consumer_accounts
    from billing.models import AccountLink, Counterparty
    from portal.models import ConsentDocument
    from portal.scoping import tenant_scope

    from .models import ConsentAcceptance, User

    login = consumer_login(tenant)
    fields = dict(CONSUMERS[tenant.slug])
    generated = tenant.slug == "rgmek"
    if not generated:
        fields["email"] = login
    with tenant_scope(tenant):
        user, created = User.objects.get_or_create(
            tenant=tenant, username=login,
            defaults={**fields, "login_is_generated": generated, "is_active": True, "activation_deadline": None,
                      "email_verified": bool(fields.get("email")), "phone_verified": bool(fields.get("phone"))},
        )
        if created:
            user.set_password(CONSUMER_PASSWORD)
            user.full_clean()
            user.save()
        if generated:
            Counterparty.objects.filter(inn=CONSUMER_RGMEK_CONTRACT[0], account__isnull=True).update(account=user)
        for document in ConsentDocument.objects.filter(is_active=True):
            ConsentAcceptance.objects.get_or_create(
                tenant=tenant, user=user, document=document, withdrawn_at=None,
                defaults={"ip_address": "127.0.0.1", "user_agent": "seed_demo"},
            )
        accounts = consumer_accounts(tenant)
        # Full access with the proof a real customer of the tenant would have given.
        proof = DEMO_PROOFS.get(tenant.policy.account_linking, AccountLink.Proof.STAFF)
        for account in accounts:
            full = {"access": AccountLink.Access.FULL, "proof": proof}
            AccountLink.objects.update_or_create(tenant=tenant, user=user, account=account, defaults=full,
                                                 create_defaults={**full, "proven_at": timezone.now()})
    return tenant, user, len(accounts)
