import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction

from accounts.factories import UserFactory
from accounts.models import User
from portal.factories import TenantFactory
from portal.scoping import scopes_disabled, tenant_scope


def test_same_email_at_two_tenants_is_two_accounts(tenants):
    gaz, mef = tenants
    at_gaz = UserFactory(tenant=gaz, username="ivan@example.com", password="gaz-password", email="ivan@example.com")
    at_mef = UserFactory(tenant=mef, username="ivan@example.com", password="mef-password", email="ivan@example.com")
    assert at_gaz.pk != at_mef.pk
    with tenant_scope(gaz):
        assert User.objects.get_by_natural_key("ivan@example.com") == at_gaz
    with tenant_scope(mef):
        assert User.objects.get_by_natural_key("ivan@example.com") == at_mef


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"username": "ivan"}, {"username": "ivan"}),
        ({"username": "a", "email": "Ivan@Example.com"}, {"username": "b", "email": "ivan@example.com"}),
        ({"username": "a", "phone": "+79001234567"}, {"username": "b", "phone": "+79001234567"}),
    ],
)
def test_login_email_and_phone_are_unique_within_a_tenant(tenants, first, second):
    gaz = tenants[0]
    with scopes_disabled():
        User.objects.create(tenant=gaz, **first)
        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.create(tenant=gaz, **second)


def test_platform_usernames_are_unique_too(tenants):
    with scopes_disabled():
        User.objects.create(tenant=None, username="admin")
        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.create(tenant=None, username="admin")


def test_a_superuser_cannot_belong_to_a_tenant(tenants):
    user = User(tenant=tenants[0], username="boss", is_superuser=True)
    with tenant_scope(tenants[0]), pytest.raises(ValidationError):
        user.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        user.save()


def login(client, login, password):
    return client.post("/accounts/login/", {"login": login, "password": password})


def test_a_password_logs_in_only_at_its_own_tenant(tenants, tenant_client):
    gaz, mef = tenants
    rgmek = TenantFactory(policy__login_kind="contract")
    UserFactory(tenant=gaz, username="ivan@example.com", password="gaz-password", email="ivan@example.com")
    UserFactory(tenant=mef, username="ivan@example.com", password="mef-password", email="ivan@example.com")
    assert login(tenant_client(gaz), "ivan@example.com", "gaz-password").status_code == 302
    assert login(tenant_client(mef), "ivan@example.com", "gaz-password").status_code == 200  # refused
    assert login(tenant_client(mef), "ivan@example.com", "mef-password").status_code == 302
    assert login(tenant_client(rgmek), "ivan@example.com", "gaz-password").status_code == 200


def test_tenant_users_cannot_log_in_on_the_platform_host(tenants, tenant_client):
    UserFactory(tenant=tenants[0], username="ivan", password="gaz-password", email="")
    response = tenant_client(None).post("/admin/login/", {"username": "ivan", "password": "gaz-password"})
    assert response.status_code == 200
    assert "_auth_user_id" not in tenant_client(None).session


def test_a_session_cookie_does_not_work_at_another_tenant(tenants, tenant_client):
    gaz, mef = tenants
    UserFactory(tenant=gaz, username="ivan", password="gaz-password", email="ivan@example.com")
    at_gaz = tenant_client(gaz)
    login(at_gaz, "ivan@example.com", "gaz-password")
    assert at_gaz.get("/support/").context["user"].is_authenticated
    # The browser would not even send a host-only cookie to mef; a stolen one is useless there.
    at_mef = tenant_client(mef)
    at_mef.cookies = at_gaz.cookies
    assert not at_mef.get("/support/").context["user"].is_authenticated


def test_login_page_is_only_on_tenant_hosts(tenants, tenant_client):
    assert tenant_client(None).get("/accounts/login/").status_code == 404
    assert tenant_client(tenants[0]).get("/accounts/login/").status_code == 200


def test_createsuperuser_makes_a_platform_user(tenants):
    call_command("createsuperuser", username="root2", email="root2@example.com", interactive=False)
    with tenant_scope(None):
        assert User.objects.get(username="root2").is_superuser
