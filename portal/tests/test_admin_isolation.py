"""Admin isolation: a tenant's staff, even with every permission, see and change only their
tenant's rows, on every registered admin page. Platform superusers see every tenant."""

import re
from collections import Counter

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.db.models import Max
from django.forms import ModelChoiceField
from django.urls import reverse

from django_otp.oath import totp

from accounts.models import User
from accounts import demo as accounts_demo
from meters.factories import exchange_rows
from billing.models import Contract, Counterparty, Supplier
from appeals.factories import appeal_rows
from payments.factories import payment_rows
from privacy.factories import deletion_request_rows
from audit.factories import audit_entry_rows
from notifications.factories import notification_rows
from portal.factories import OutgoingMessageFactory
from portal.models import Tenant, TenantDomain
from portal.scoping import scopes_disabled, tenant_scope


# "Does not exist" redirect, forbidden, not found: anything but the page.
NOT_SHOWN = (302, 403, 404)


def owner_of(obj):
    """The tenant id a row belongs to, or None for platform-wide rows (groups...)."""
    if isinstance(obj, Tenant):
        return obj.pk
    return getattr(obj, "tenant_id", None)


def is_tenant_owned(model):
    return model is Tenant or any(field.name == "tenant" for field in model._meta.get_fields())


@pytest.fixture
def setup(demo_tenants, tenant_client, admin_login):
    gaz, mef = demo_tenants["gaz"], demo_tenants["mef"]
    TenantDomain.objects.create(tenant=gaz, domain="lk.gaz.example")
    TenantDomain.objects.create(tenant=mef, domain="lk.mef.example")
    for tenant in (gaz, mef):  # billing rows on both sides, so that every page has some
        with tenant_scope(tenant):
            counterparty = Counterparty.objects.create(tenant=tenant, inn="6229001125", name=f"Контрагент {tenant.slug}")
            Contract.objects.create(tenant=tenant, supplier=Supplier.objects.first(), number="1", counterparty=counterparty)
            consumer = User.objects.create_user(tenant=tenant, username="isolation-consumer", password="x")
            rows = exchange_rows(Supplier.objects.first(), "7770001", user=consumer)
            payment_rows(rows["account"], user=consumer)
            appeal_rows(tenant, author=consumer, account=rows["account"])
            deletion_request_rows(consumer)
            audit_entry_rows(consumer)
            notification_rows(consumer)
            OutgoingMessageFactory(tenant=tenant, user=consumer)
    with tenant_scope(gaz):
        boss = User.objects.create_user(tenant=gaz, username="boss", password="boss-password", is_staff=True)
        boss.user_permissions.set(Permission.objects.all())  # every permission there is
    client = tenant_client(gaz)
    admin_login(client, boss)
    return gaz, mef, client


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


# The demo's billing data holds thousands of rows (24 months of readings, charges...): the
# newest few of each other tenant (the rows `setup` adds among them) prove the rule as well
# as all of them, at a fraction of the requests.
ROWS_PER_OTHER_TENANT = 4


def other_tenants_rows(model, tenant):
    with scopes_disabled():
        rows = [obj for obj in model._default_manager.order_by("-pk") if owner_of(obj) not in (None, tenant.pk)]
    taken = Counter()
    sample = []
    for obj in rows:
        taken[owner_of(obj)] += 1
        if taken[owner_of(obj)] <= ROWS_PER_OTHER_TENANT:
            sample.append(obj)
    return sample


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m._meta.label)
def test_staff_see_only_their_tenant_on_every_admin_page(setup, model):
    gaz, mef, client = setup
    changelist = client.get(admin_url(model, "changelist"))
    if not is_tenant_owned(model) or getattr(admin.site._registry[model], "platform_superusers_only", False):
        assert changelist.status_code == 403, "platform-wide tables are for platform superusers"
        return
    assert changelist.status_code == 200
    shown = list(changelist.context["cl"].queryset)
    assert shown, "the walk needs rows of the staff's own tenant"
    assert {owner_of(obj) for obj in shown} == {gaz.pk}

    foreign = other_tenants_rows(model, gaz)
    assert foreign, "the walk needs rows of another tenant"
    for obj in foreign:
        for view in ("change", "delete", "history"):
            response = client.get(admin_url(model, view, obj.pk))
            assert response.status_code in NOT_SHOWN, f"{view} of another tenant's {obj!r}"
        assert client.post(admin_url(model, "delete", obj.pk), {"post": "yes"}).status_code in NOT_SHOWN
    with scopes_disabled():
        assert all(model._default_manager.filter(pk=obj.pk).exists() for obj in foreign)

    add = client.get(admin_url(model, "add"))
    if add.status_code == 200:
        for name, field in add.context["adminform"].form.fields.items():
            if isinstance(field, ModelChoiceField) and is_tenant_owned(field.queryset.model):
                assert {owner_of(choice) for choice in field.queryset} <= {gaz.pk}, name


def ask(client, url):
    client.cookies.pop("messages", None)  # only this answer's messages, not earlier ones
    return client.get(url)


def answer(response, pk):
    """What a response tells about the object ``pk``: status, where it leads, the messages
    queued and the 404's reason (pk written as <pk>), and the page with per-request tokens
    (CSRF, CSP nonce) blanked."""

    def neutral(text):
        # The pk as the answer names it: in a path, a query or a quoted id, not any digit run
        # (gaz's support phone «8 (800) 100-00-00» would match pk 8, 800 or 100; the viewport's
        # initial-scale=1 pk 1, which a group made by a migration has).
        return re.sub(rf"(?<!initial-scale=)(?<=[/=“”«\"']){re.escape(str(pk))}(?=[/“”»\"'&]|$)", "<pk>", str(text))

    page = re.sub(r'(value|nonce)="[^"]*"', r'\1=""', response.content.decode())
    context = response.context or {}
    return {
        "status": response.status_code,
        "location": neutral(response.get("Location")),
        "messages": [neutral(message) for message in get_messages(response.wsgi_request)],
        "reason": neutral(context.get("exception", "")),
        "page": neutral(page),
    }


def hidden_rows(model, tenant):
    """The rows a tenant's staff must not learn about: other tenants' rows, and every row of
    a platform-wide table (groups, second-factor devices)."""
    if is_tenant_owned(model):
        return other_tenants_rows(model, tenant)
    with scopes_disabled():
        return list(model._default_manager.all())


def object_urls(model, pk):
    """Every URL of the model's ModelAdmin that names one object (change, delete, history,
    the bare id, and any view of its own: a user's password, a device's QR code...)."""
    changelist = admin_url(model, "changelist")
    for pattern in admin.site._registry[model].get_urls():
        route = str(pattern.pattern)
        if len(pattern.pattern.converters) == 1:
            yield route, changelist + re.sub(r"<[^>]+>", str(pk), route)


def missing_pk(model):
    with scopes_disabled():
        return (model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1000


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m._meta.label)
def test_another_tenants_row_is_answered_exactly_like_a_missing_one(setup, model):
    """No admin path reads across tenants: every URL of a ModelAdmin that names an object and
    "view on site" (Django's contenttypes shortcut, which looks objects up past the scope) say
    the same for another tenant's row as for a row that does not exist."""
    gaz, mef, client = setup
    content_type = ContentType.objects.get_for_model(model)
    rows = hidden_rows(model, gaz)
    if is_tenant_owned(model):
        assert rows, "the walk needs rows of another tenant"
    absent = missing_pk(model)

    def urls(pk):
        yield "view_on_site", reverse("admin:view_on_site", args=[content_type.pk, pk])
        yield from object_urls(model, pk)

    expected = {view: answer(ask(client, url), absent) for view, url in urls(absent)}
    for obj in rows:
        for view, url in urls(obj.pk):
            assert answer(ask(client, url), obj.pk) == expected[view], f"{view} of {obj!r}"


def test_view_on_site_of_the_staffs_own_row_still_works(setup):
    gaz, mef, client = setup
    with tenant_scope(gaz):
        supplier = Supplier.objects.first()
    response = client.get(reverse("admin:view_on_site", args=[ContentType.objects.get_for_model(Supplier).pk,
                                                              supplier.pk]))
    assert response.status_code == 404
    assert "get_absolute_url" in response.context["exception"]  # found; it just has no page


def test_staff_cannot_create_rows_for_another_tenant(setup):
    gaz, mef, client = setup
    response = client.post(admin_url(Supplier, "add"), {
        "tenant": mef.pk, "code": "planted", "name": "Чужой поставщик", "account_number_separators": " ",
        "account_number_pattern": r"\d+", "is_active": "on",
    })
    assert response.status_code == 302
    with scopes_disabled():
        assert Supplier.objects.get(code="planted").tenant == gaz


def test_staff_cannot_grant_privileges(setup):
    gaz, mef, client = setup
    with tenant_scope(gaz):
        customer = User.objects.create_user(tenant=gaz, username="customer", password="x")
    page = client.get(admin_url(User, "change", customer.pk))
    form_fields = page.context["adminform"].form.fields
    assert not {"is_superuser", "is_staff", "groups", "user_permissions", "tenant"} & set(form_fields)


def test_staff_can_view_but_not_change_their_tenant(setup):
    gaz, mef, client = setup
    page = client.get(admin_url(Tenant, "change", gaz.pk))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]


def test_staff_of_one_tenant_cannot_use_another_tenants_admin(setup, tenant_client, demo_tenants):
    gaz, mef, client = setup
    response = tenant_client(mef).post("/admin/login/", {"username": "boss", "password": "boss-password"})
    assert response.status_code == 200  # form shown again: no such user at mef
    assert tenant_client(None).post("/admin/login/", {"username": "boss", "password": "boss-password"}).status_code == 200


def test_platform_superuser_sees_every_tenant(demo_tenants, tenant_client):
    client = tenant_client(None)
    code = f"{totp(bytes.fromhex(accounts_demo.OTP_DEMO_KEY)):06d}"
    assert client.post("/admin/login/", {"username": "admin", "password": "demo-admin-2026"}).status_code == 200
    assert client.post("/admin/login/", {"username": "admin", "password": "demo-admin-2026",
                                         "otp_token": code}).status_code == 302
    changelist = client.get(admin_url(Supplier, "changelist"))
    assert {s.tenant.slug for s in changelist.context["cl"].queryset} == set(demo_tenants)
    # The five tenants' staff, directors and demo consumers, and the superuser.
    assert client.get(admin_url(User, "changelist")).context["cl"].result_count == 16


def test_platform_superuser_gets_a_404_for_a_missing_devices_qr_code(demo_tenants, tenant_client, admin_login):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = tenant_client(None)
    with scopes_disabled():
        superuser = User.objects.get(username=accounts_demo.SUPERUSER_USERNAME, tenant=None)
        device = TOTPDevice.objects.filter(user=superuser).first()
    admin_login(client, superuser)
    for view in ("config", "qrcode"):
        assert client.get(admin_url(TOTPDevice, view, device.pk)).status_code == 200
        assert client.get(admin_url(TOTPDevice, view, missing_pk(TOTPDevice))).status_code == 404
