"""Staff cannot act as their director (issue 22, part 2): in the admin a user changes only
users below them on the ladder customer < staff < tenant superuser < platform superuser,
of their own tenant, by every path (change form, password form, history, delete, bulk
actions, the list); what staff change of a customer's way in is on the trail and told to
the customer."""

import itertools
import json

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.factories import PASSWORD, UserFactory, platform_superuser, staff_user
from accounts.models import User
from audit.models import AuditEntry
from portal.factories import admin_form_data
from portal.roles import Role, changeable_by, may_change, role_of
from portal.scoping import scopes_disabled, tenant_scope

NEW_PASSWORD = "Staff-chosen-secret-77"


def url(view, user_or_pk=None):
    pk = getattr(user_or_pk, "pk", user_or_pk)
    # Django's UserAdmin names its password view after auth's own user model.
    name = "admin:auth_user_password_change" if view == "password" else f"admin:accounts_user_{view}"
    return reverse(name, args=[] if pk is None else [pk])


@pytest.fixture
def people(tenants):
    """At alpha: a customer, two staff members and the director (a tenant superuser), with
    every permission on users; at beta: a customer, a staff member and its director; and a
    platform superuser."""
    alpha, beta = tenants
    every = Permission.objects.filter(content_type__app_label="accounts")
    return {
        "customer": UserFactory(tenant=alpha, username="customer", email="customer@example.com",
                                phone="+79001112233"),
        "staff": staff_user(alpha, "staff", permissions=every),
        "colleague": staff_user(alpha, "colleague", permissions=every, email="colleague@alpha.example"),
        "director": staff_user(alpha, "director", permissions=every, tenant_superuser=True,
                               email="director@alpha.example"),
        "deputy": staff_user(alpha, "deputy", permissions=every, tenant_superuser=True),
        "beta_customer": UserFactory(tenant=beta, username="beta-customer"),
        "beta_staff": staff_user(beta, "staff", permissions=every),
        "beta_director": staff_user(beta, "director", permissions=every, tenant_superuser=True),
        "root": platform_superuser(),
    }


@pytest.fixture
def signed_in(tenants, tenant_client, admin_login):
    """signed_in(user): a client in the admin of the user's tenant (the platform's host for
    a platform superuser)."""

    def make(user):
        client = tenant_client(user.tenant)
        admin_login(client, user)
        return client

    return make


def reload(user):
    with scopes_disabled():
        return User.objects.get(pk=user.pk)


# --- The rule --------------------------------------------------------------------------------


def test_the_ladder(people):
    assert [role_of(people[name]) for name in ("customer", "staff", "director", "root")] == [
        Role.CUSTOMER, Role.STAFF, Role.TENANT_SUPERUSER, Role.PLATFORM_SUPERUSER]
    expected = {
        ("staff", "customer"), ("colleague", "customer"),
        ("director", "customer"), ("director", "staff"), ("director", "colleague"),
        ("deputy", "customer"), ("deputy", "staff"), ("deputy", "colleague"),
        ("beta_staff", "beta_customer"), ("beta_director", "beta_customer"), ("beta_director", "beta_staff"),
        *(("root", name) for name in people),
    }
    allowed = {(actor, target) for actor, target in itertools.product(people, repeat=2)
               if may_change(people[actor], people[target])}
    assert allowed == expected


def test_the_querysets_rule_is_the_same_rule(people):
    with scopes_disabled():
        for actor in people.values():
            changeable = set(changeable_by(actor, User.objects.filter(pk__in=[user.pk for user in people.values()])))
            assert changeable == {user for user in people.values() if may_change(actor, user)}, actor


def test_an_inactive_director_changes_nobody(people):
    director = people["director"]
    director.is_active = False
    assert not may_change(director, people["customer"])
    with scopes_disabled():
        assert not changeable_by(director, User.objects.all()).exists()


# --- Staff and their director ----------------------------------------------------------------


def test_staff_cannot_reach_the_directors_password_form(people, signed_in):
    """Not to look at, not to post to: the same answer as for a user who does not exist."""
    client = signed_in(people["staff"])
    missing = max(user.pk for user in people.values()) + 1000
    for target in ("director", "colleague"):
        user = people[target]
        for view in ("password", "change", "history", "delete"):
            assert client.get(url(view, user)).status_code == client.get(url(view, missing)).status_code, view
        assert client.get(url("password", user)).status_code == 404
        response = client.post(url("password", user), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
                                                        "usable_password": "true"})
        assert response.status_code == 404
        assert reload(user).check_password(PASSWORD)


def test_staff_cannot_change_or_delete_staff_or_superusers(people, signed_in):
    client = signed_in(people["staff"])
    colleague, director = people["colleague"], people["director"]
    data = admin_form_data(signed_in(people["director"]).get(url("change", colleague)))
    data.update(email="mine@example.com", is_active="")
    client.post(url("change", colleague), data)
    client.post(url("delete", director), {"post": "yes"})
    assert (reload(colleague).email, reload(colleague).is_active) == ("colleague@alpha.example", True)
    assert reload(director)


def test_staff_bulk_actions_and_the_list_reach_customers_only(people, signed_in):
    """The list (and so any list-editable form and every action) holds only the users the
    staff member may change; a bulk delete of the director and a colleague deletes nobody."""
    client = signed_in(people["staff"])
    listing = client.get(url("changelist"))
    assert {user.username for user in listing.context["cl"].queryset} == {"customer"}
    targets = [people["director"].pk, people["colleague"].pk, people["deputy"].pk]
    client.post(url("changelist"), {"action": "delete_selected", "_selected_action": targets, "post": "yes"})
    with scopes_disabled():
        assert User.objects.filter(pk__in=targets).count() == 3


def test_a_tenant_superuser_changes_staff_but_not_another_superuser(people, signed_in):
    client = signed_in(people["director"])
    colleague = people["colleague"]
    assert client.get(url("password", colleague)).status_code == 200
    response = client.post(url("password", colleague), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
                                                         "usable_password": "true"})
    assert response.status_code == 302
    assert reload(colleague).check_password(NEW_PASSWORD)
    data = admin_form_data(client.get(url("change", colleague)))
    data.update(is_active="")
    assert client.post(url("change", colleague), data).status_code == 302
    assert not reload(colleague).is_active
    # Privileges stay the platform's: the director's form has no field for them.
    assert "is_staff" not in data and "groups" not in data
    # Another tenant superuser (and the director's own record) is the platform's to change.
    for other in (people["deputy"], people["director"]):
        assert client.get(url("password", other)).status_code == 404
    assert {user.username for user in client.get(url("changelist")).context["cl"].queryset} == {
        "customer", "staff", "colleague"}


def test_only_a_platform_superuser_changes_a_tenant_superuser(people, signed_in):
    client = signed_in(people["root"])
    director = people["director"]
    response = client.post(url("password", director), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
                                                        "usable_password": "true"})
    assert response.status_code == 302
    assert reload(director).check_password(NEW_PASSWORD)


def test_another_tenants_users_stay_invisible(people, signed_in):
    client = signed_in(people["director"])
    missing = max(user.pk for user in people.values()) + 1000
    for target in ("beta_customer", "beta_staff", "beta_director"):
        user = people[target]
        for view in ("password", "change", "history", "delete"):
            assert client.get(url(view, user)).status_code == client.get(url(view, missing)).status_code, view
        client.post(url("password", user), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
                                            "usable_password": "true"})
        assert reload(user).check_password(PASSWORD)
    client.post(url("changelist"), {"action": "delete_selected", "post": "yes",
                                    "_selected_action": [people["beta_customer"].pk, people["beta_staff"].pk]})
    with scopes_disabled():
        assert User.objects.filter(pk__in=[people["beta_customer"].pk, people["beta_staff"].pk]).count() == 2


# --- What staff change of a customer: the trail and the customer -------------------------------


def test_a_password_staff_set_is_on_the_trail_without_the_secret_and_told(people, signed_in, outbox):
    customer = people["customer"]
    old_hash = customer.password
    client = signed_in(people["staff"])
    response = client.post(url("password", customer), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
                                                        "usable_password": "true"})
    assert response.status_code == 302
    assert reload(customer).check_password(NEW_PASSWORD)
    with tenant_scope(customer.tenant):
        entry = AuditEntry.objects.get()
    assert (entry.actor, entry.subject, entry.object_id) == (people["staff"], customer, customer.pk)
    assert entry.changes == {"password": ["<secret>", "<new secret>"]}
    stored = json.dumps([entry.changes, entry.changes_text, entry.serialized_data, entry.additional_data])
    for secret in (NEW_PASSWORD, old_hash, reload(customer).password):
        assert secret not in stored
    [message] = outbox.messages("customer@example.com")
    assert "сотрудник" in message.text.lower() and "пароль" in message.text
    assert NEW_PASSWORD not in message.text


def test_disabling_a_customers_password_is_recorded_as_that(people, signed_in, outbox):
    customer = people["customer"]
    client = signed_in(people["staff"])
    response = client.post(url("password", customer), {"usable_password": "false", "unset-password": "1"})
    assert response.status_code == 302
    assert not reload(customer).has_usable_password()
    with tenant_scope(customer.tenant):
        assert AuditEntry.objects.get().changes == {"password": ["<secret>", "<no secret>"]}
    assert "вход по паролю отключён" in outbox.messages("customer@example.com")[0].text


def test_a_change_of_a_customers_email_login_or_active_flag_is_recorded_and_told(people, signed_in, outbox):
    """The old address hears of it too: if the change was not the customer's wish, it is the
    one they still hold."""
    customer = people["customer"]
    client = signed_in(people["staff"])
    data = admin_form_data(client.get(url("change", customer)))
    data.update(email="someone-else@example.com", username="someone-else")
    assert client.post(url("change", customer), data).status_code == 302
    with tenant_scope(customer.tenant):
        entry = AuditEntry.objects.get()
    assert entry.actor == people["staff"]
    assert entry.changes == {"email": ["customer@example.com", "someone-else@example.com"],
                             "username": ["customer", "someone-else"]}
    for address in ("customer@example.com", "someone-else@example.com"):
        [message] = outbox.messages(address)
        assert "логин, e-mail" in message.text
    data = admin_form_data(client.get(url("change", customer)))
    data.pop("is_active")
    assert client.post(url("change", customer), data).status_code == 302
    assert not reload(customer).is_active
    assert "вход в личный кабинет закрыт" in outbox.messages("someone-else@example.com")[0].text


def test_a_phone_only_customer_hears_by_sms_at_the_old_and_the_new_number(tenants, signed_in, outbox):
    alpha, _beta = tenants
    customer = UserFactory(tenant=alpha, username="+79005550101", email="", phone="+79005550101")
    client = signed_in(staff_user(alpha, "staff", permissions=Permission.objects.filter(
        content_type__app_label="accounts")))
    data = admin_form_data(client.get(url("change", customer)))
    data.update(phone="+79005550202")
    assert client.post(url("change", customer), data).status_code == 302
    assert "телефон" in outbox.messages("+79005550101")[0].text
    assert "телефон" in outbox.messages("+79005550202")[0].text


def test_a_change_of_other_fields_tells_nobody(people, signed_in, outbox):
    customer = people["customer"]
    client = signed_in(people["staff"])
    data = admin_form_data(client.get(url("change", customer)))
    data.update(last_name="Петров")
    assert client.post(url("change", customer), data).status_code == 302
    assert outbox.messages("customer@example.com") == []
