"""The audit trail (issue 13, item 4): what staff change in the admin is recorded with who,
when and before → after, in the object's tenant; a tenant's superusers and platform
superusers read it, plain staff do not, another tenant never does, nobody changes it."""

import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied

from accounts.factories import UserFactory, platform_superuser, staff_user
from audit.access import TENANT_SUPERUSERS_GROUP
from audit.models import AuditEntry
from audit.recording import recording_admin_changes
from portal.factories import admin_form_data
from portal.scoping import scopes_disabled, tenant_scope

USER_CHANGE = "/admin/accounts/user/{}/change/"
ENTRY = "/admin/audit/auditentry/{}/change/"


def tenant_superusers_group():
    # Migration 0002 makes it; a transactional test's flush (the e2e tests) empties the table.
    return Group.objects.get_or_create(name=TENANT_SUPERUSERS_GROUP)[0]


@pytest.fixture
def alpha_and_beta(tenants):
    return tenants


@pytest.fixture
def edited(alpha_and_beta, tenant_client, admin_login):
    """A staff member of alpha changed a customer's name and phone in the admin."""
    alpha, _beta = alpha_and_beta
    customer = UserFactory(tenant=alpha, username="customer", email="customer@example.com",
                           last_name="Иванов", first_name="Иван", phone="+79001112233")
    editor = staff_user(alpha, "editor", permissions=Permission.objects.filter(content_type__app_label="accounts"))
    client = tenant_client(alpha)
    admin_login(client, editor)
    data = admin_form_data(client.get(USER_CHANGE.format(customer.pk)))
    data.update(last_name="Петров", phone="+79004445566")
    response = client.post(USER_CHANGE.format(customer.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    with tenant_scope(alpha):
        entry = AuditEntry.objects.get()
    return {"customer": customer, "editor": editor, "entry": entry, "client": client}


def test_a_staff_edit_in_the_admin_is_recorded_with_who_when_before_and_after(edited, alpha_and_beta):
    alpha, _beta = alpha_and_beta
    entry, customer = edited["entry"], edited["customer"]
    assert entry.action == AuditEntry.Action.UPDATE
    assert (entry.actor, entry.tenant, entry.object_id) == (edited["editor"], alpha, customer.pk)
    assert entry.changes == {"last_name": ["Иванов", "Петров"], "phone": ["+79001112233", "+79004445566"]}
    assert entry.remote_addr == "127.0.0.1" and entry.timestamp is not None


def test_no_secret_is_ever_recorded(edited, alpha_and_beta):
    """Not the hash, not a new password set by staff, not a login's timestamp: that staff
    set a password is recorded, never the password."""
    alpha, _beta = alpha_and_beta
    customer, client = edited["customer"], edited["client"]
    response = client.post(f"/admin/accounts/user/{customer.pk}/password/",
                           {"password1": "Brand-new-secret-42", "password2": "Brand-new-secret-42",
                            "usable_password": "true"})
    assert response.status_code == 302
    data = admin_form_data(client.get("/admin/accounts/user/add/"))
    data.update(username="newcomer", usable_password="true", password1="Another-secret-43",
                password2="Another-secret-43")
    response = client.post("/admin/accounts/user/add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    with tenant_scope(alpha):
        customer.refresh_from_db()
        newcomer = type(customer).objects.get(username="newcomer")
        entries = list(AuditEntry.objects.all())
        recorded = json.dumps([
            [entry.changes, entry.changes_text, entry.serialized_data, entry.object_repr, entry.additional_data]
            for entry in entries
        ], ensure_ascii=False)
    # The surname and phone, the password (that it changed), then the newcomer's creation.
    assert [entry.action for entry in entries] == [AuditEntry.Action.CREATE, AuditEntry.Action.UPDATE,
                                                   AuditEntry.Action.UPDATE]
    assert entries[1].changes == {"password": ["<secret>", "<new secret>"]}
    assert "password" not in json.dumps([entries[0].changes, entries[2].changes]) and "last_login" not in recorded
    for secret in (customer.password, newcomer.password, "Brand-new-secret-42", "Another-secret-43"):
        assert secret not in recorded


def test_changes_outside_the_admin_are_not_recorded(alpha_and_beta):
    alpha, _beta = alpha_and_beta
    customer = UserFactory(tenant=alpha, username="self-service")
    with tenant_scope(alpha):
        customer.last_name = "Сам"
        customer.save()
        assert not AuditEntry.objects.exists()


def test_a_tenant_superuser_reads_the_trail_in_russian(edited, alpha_and_beta, tenant_client, admin_login):
    alpha, _beta = alpha_and_beta
    reader = staff_user(alpha, "chief", permissions=(), tenant_superuser=True)
    client = tenant_client(alpha)
    admin_login(client, reader)
    listing = client.get("/admin/audit/auditentry/")
    assert listing.status_code == 200
    assert list(listing.context["cl"].queryset) == [edited["entry"]]
    page = client.get(ENTRY.format(edited["entry"].pk)).content.decode()
    for text in ("editor", "изменение", "Фамилия", "Иванов", "Петров", "+79001112233", "+79004445566"):
        assert text in page, text


def test_plain_staff_even_with_every_permission_cannot_read_it(edited, alpha_and_beta, tenant_client, admin_login):
    alpha, _beta = alpha_and_beta
    boss = staff_user(alpha, "boss", permissions=Permission.objects.all())
    client = tenant_client(alpha)
    admin_login(client, boss)
    assert client.get("/admin/audit/auditentry/").status_code == 403
    assert client.get(ENTRY.format(edited["entry"].pk)).status_code == 403
    assert "auditentry" not in client.get("/admin/").content.decode()


def test_another_tenants_superuser_never_sees_it(edited, alpha_and_beta, tenant_client, admin_login):
    _alpha, beta = alpha_and_beta
    reader = staff_user(beta, "chief", permissions=(), tenant_superuser=True)
    client = tenant_client(beta)
    admin_login(client, reader)
    assert list(client.get("/admin/audit/auditentry/").context["cl"].queryset) == []
    foreign = client.get(ENTRY.format(edited["entry"].pk))
    missing = client.get(ENTRY.format(edited["entry"].pk + 1000))
    assert foreign.status_code == missing.status_code == 302  # «no such object», as for any missing id


def test_a_platform_superuser_reads_every_tenants_trail(edited, alpha_and_beta, tenant_client, admin_login):
    alpha, _beta = alpha_and_beta
    root = platform_superuser()
    client = tenant_client(None)
    admin_login(client, root)
    listing = client.get("/admin/audit/auditentry/")
    assert [(entry, entry.tenant) for entry in listing.context["cl"].queryset] == [(edited["entry"], alpha)]


def test_nobody_changes_or_deletes_an_entry(edited, alpha_and_beta, tenant_client, admin_login):
    alpha, _beta = alpha_and_beta
    entry = edited["entry"]
    root = platform_superuser()
    readers = [(alpha, staff_user(alpha, "chief", permissions=(), tenant_superuser=True)), (None, root)]
    for tenant, reader in readers:
        client = tenant_client(tenant)
        admin_login(client, reader)
        assert client.get("/admin/audit/auditentry/add/").status_code == 403
        assert client.post(f"/admin/audit/auditentry/{entry.pk}/change/",
                           {"object_repr": "забыто", "changes": "{}"}).status_code == 403
        assert client.post(f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
        assert client.post("/admin/audit/auditentry/", {"action": "delete_selected", "_selected_action": [entry.pk],
                                                        "post": "yes"}).status_code in (200, 302)
    with scopes_disabled():
        assert AuditEntry.objects.get(pk=entry.pk).changes == entry.changes
        with pytest.raises(PermissionDenied):
            entry.save()
        with pytest.raises(PermissionDenied):
            entry.delete()


def test_an_import_records_nothing_even_started_from_the_admin(tenants, tmp_path):
    from billing.factories import SupplierFactory
    from billing.models import Account
    from billing.factories import run_import, write_exchange_files

    alpha = tenants[0]
    SupplierFactory(tenant=alpha, code="energo", name="Энергосбыт")
    with recording_admin_changes():  # as if the admin ran it in its request (eager Celery)
        run_import(alpha, write_exchange_files(tmp_path))
    with tenant_scope(alpha):
        assert Account.objects.exists()
    with scopes_disabled():
        assert not AuditEntry.objects.exists()


def test_granting_the_tenant_superuser_role_is_itself_on_the_trail(alpha_and_beta, tenant_client, admin_login):
    """Only a platform superuser changes a user's groups (on the platform's host); the entry
    goes to the user's tenant, and its readers see who was made one of them."""
    alpha, _beta = alpha_and_beta
    member = staff_user(alpha, "deputy", permissions=())
    root = platform_superuser()
    client = tenant_client(None)
    admin_login(client, root)
    data = admin_form_data(client.get(USER_CHANGE.format(member.pk)))
    data["groups"] = str(tenant_superusers_group().pk)
    assert client.post(USER_CHANGE.format(member.pk), data).status_code == 302
    with tenant_scope(alpha):
        entry = AuditEntry.objects.get()
    assert (entry.actor, entry.tenant) == (root, alpha)
    assert entry.changes == {"groups": {"type": "m2m", "operation": "add", "objects": [TENANT_SUPERUSERS_GROUP]}}
    page = client.get(ENTRY.format(entry.pk)).content.decode()
    assert f"добавлено: {TENANT_SUPERUSERS_GROUP}" in page


def test_erasing_a_customer_blanks_their_data_in_the_trail_and_keeps_who_did_what(edited, alpha_and_beta):
    """A confirmed deletion request (privacy) erases the person's values; the record that
    «editor» changed their surname and phone, and when, stays."""
    from audit.privacy import erase_user_data

    alpha, _beta = alpha_and_beta
    entry, customer = edited["entry"], edited["customer"]
    assert entry.subject == customer
    with tenant_scope(alpha):
        erase_user_data(customer)
        erased = AuditEntry.objects.get(pk=entry.pk)
    recorded = json.dumps([erased.changes, erased.object_repr], ensure_ascii=False)
    assert "Иванов" not in recorded and "+7900" not in recorded and "customer" not in recorded
    assert set(erased.changes) == {"last_name", "phone"}
    assert (erased.actor, erased.timestamp, erased.action) == (entry.actor, entry.timestamp, entry.action)


def test_the_trail_shows_a_staff_password_reset_and_a_supplier_change(alpha_and_beta, tenant_client, admin_login):
    """Issue 22: the director reads that staff reset a customer's password (never what to)
    and that the supplier's payee changed, from what to what; each in the object's history
    page too."""
    from billing.bank_details import with_key
    from billing.demo import payee_details
    from billing.factories import SupplierFactory

    alpha, _beta = alpha_and_beta
    customer = UserFactory(tenant=alpha, username="customer", email="customer@example.com")
    supplier = SupplierFactory(tenant=alpha, code="energo", name="Энергосбыт", **payee_details("ryazan"))
    clerk = staff_user(alpha, "clerk", first_name="Пётр")
    chief = staff_user(alpha, "chief", tenant_superuser=True)
    clerk_client, chief_client = tenant_client(alpha), tenant_client(alpha)
    admin_login(clerk_client, clerk)
    admin_login(chief_client, chief)
    assert clerk_client.post(f"/admin/accounts/user/{customer.pk}/password/",
                             {"password1": "Reset-by-staff-31", "password2": "Reset-by-staff-31",
                              "usable_password": "true"}).status_code == 302
    data = admin_form_data(chief_client.get(f"/admin/billing/supplier/{supplier.pk}/change/"))
    old_account = supplier.settlement_account
    data["settlement_account"] = with_key(f"{old_account[:10]}99{old_account[12:]}", supplier.bic[-3:])
    assert chief_client.post(f"/admin/billing/supplier/{supplier.pk}/change/", data).status_code == 302
    listing = chief_client.get("/admin/audit/auditentry/").content.decode()
    assert "clerk (Пётр)" in listing and "Пароль: задан (не записывается) → новый (не записывается)" in listing
    assert f"Расчётный счёт: {old_account} → {data['settlement_account']}" in listing
    assert "Reset-by-staff-31" not in listing
    history = chief_client.get(f"/admin/accounts/user/{customer.pk}/history/").content.decode()
    assert "Журнал действий сотрудников" in history and "новый (не записывается)" in history
    history = chief_client.get(f"/admin/billing/supplier/{supplier.pk}/history/").content.decode()
    assert "Журнал действий сотрудников" in history and data["settlement_account"] in history


def check_constraints_now():
    """The foreign keys PostgreSQL checks at commit, checked now (a test never commits)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_a_user_deleted_in_the_admin_is_a_deletion_on_the_trail(alpha_and_beta, tenant_client, admin_login):
    """The deletion's own entries (the user's, their consent's) name the user as subject
    while the user is being deleted: they keep no subject, as the older entries, and the
    commit goes through."""
    from accounts.models import ConsentAcceptance
    from portal.models import ConsentDocument

    alpha, _beta = alpha_and_beta
    member = staff_user(alpha, "member")
    document = ConsentDocument._base_manager.create(tenant=alpha, title="Согласие", kind="personal_data", text="…")
    ConsentAcceptance._base_manager.create(tenant=alpha, user=member, document=document)
    client = tenant_client(alpha)
    chief = staff_user(alpha, "chief", permissions=Permission.objects.filter(content_type__app_label="accounts"),
                       tenant_superuser=True)
    admin_login(client, chief)
    assert client.post(f"/admin/accounts/user/{member.pk}/delete/", {"post": "yes"}).status_code == 302
    check_constraints_now()
    with tenant_scope(alpha):
        assert not type(member).objects.filter(pk=member.pk).exists()
        entries = list(AuditEntry.objects.filter(action=AuditEntry.Action.DELETE))
    assert {(entry.content_type.model, entry.actor.username, entry.subject) for entry in entries} == {
        ("user", "chief", None), ("consentacceptance", "chief", None)}


def test_a_deleted_tenant_takes_its_trail_along(alpha_and_beta, tenant_client, admin_login):
    from portal.models import Tenant

    alpha, beta = alpha_and_beta
    UserFactory(tenant=alpha, username="customer")
    client = tenant_client(None)
    admin_login(client, platform_superuser())
    assert client.post(f"/admin/portal/tenant/{alpha.pk}/delete/", {"post": "yes"}).status_code == 302
    check_constraints_now()
    with scopes_disabled():
        assert not Tenant.objects.filter(pk=alpha.pk).exists()
        assert [(entry.tenant, str(entry)) for entry in AuditEntry.objects.all()] == [(None, "Удаление: Alpha")]
