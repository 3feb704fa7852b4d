"""Staff and superusers reach the admin with a password and a TOTP code (django-otp)."""

from django.test import Client

from accounts import demo as accounts_demo
from accounts.factories import demo_staff_code
from accounts.models import User
from portal.scoping import tenant_scope


def admin_login(client, username, password, code=None):
    data = {"username": username, "password": password}
    if code is not None:
        data["otp_token"] = code
    return client.post("/admin/login/", data)


def test_a_password_alone_does_not_open_the_admin(demo_tenants, tenant_client):
    client = tenant_client(demo_tenants["gaz"])
    response = admin_login(client, "staff", accounts_demo.STAFF_PASSWORD)
    assert response.status_code == 200
    assert "Введите код из приложения" in response.content.decode() or "Обязательное поле" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_password_and_code_open_the_admin_of_the_staffs_tenant(demo_tenants, tenant_client):
    client = tenant_client(demo_tenants["gaz"])
    assert admin_login(client, "staff", accounts_demo.STAFF_PASSWORD, demo_staff_code()).status_code == 302
    index = client.get("/admin/")
    assert index.status_code == 200
    assert "Межрегионгаз" in index.content.decode()


def test_a_wrong_code_is_refused(demo_tenants, tenant_client):
    client = tenant_client(demo_tenants["gaz"])
    wrong = "000000" if demo_staff_code() != "000000" else "111111"
    response = admin_login(client, "staff", accounts_demo.STAFF_PASSWORD, wrong)
    assert "Неверный или устаревший код" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_a_code_cannot_be_replayed(demo_tenants, tenant_client):
    code = demo_staff_code()
    assert admin_login(tenant_client(demo_tenants["mef"]), "staff", accounts_demo.STAFF_PASSWORD, code).status_code == 302
    assert admin_login(tenant_client(demo_tenants["mef"]), "staff", accounts_demo.STAFF_PASSWORD, code).status_code == 200


def test_a_logged_in_but_unverified_session_is_not_enough(demo_tenants, tenant_client):
    client = tenant_client(demo_tenants["gaz"])
    with tenant_scope(demo_tenants["gaz"]):
        client.force_login(User.objects.get(username="staff"))
    assert client.get("/admin/").status_code == 302


def test_staff_credentials_are_useless_at_another_tenant(demo_tenants, tenant_client):
    with tenant_scope(demo_tenants["gaz"]):
        User.objects.filter(username="staff").update(username="gaz-staff")
    response = admin_login(tenant_client(demo_tenants["mef"]), "gaz-staff", accounts_demo.STAFF_PASSWORD, demo_staff_code())
    assert response.status_code == 200


def test_the_platform_superuser_needs_a_code_too(demo_tenants, tenant_client):
    client = tenant_client(None)
    assert admin_login(client, accounts_demo.SUPERUSER_USERNAME, accounts_demo.SUPERUSER_PASSWORD).status_code == 200
    assert admin_login(client, accounts_demo.SUPERUSER_USERNAME, accounts_demo.SUPERUSER_PASSWORD, demo_staff_code()).status_code == 302


def test_the_admin_login_is_rate_limited_per_ip_and_per_username(demo_tenants):
    for attempt in range(10):
        Client(HTTP_HOST="gaz.localhost").post("/admin/login/", {"username": f"guess{attempt}", "password": "x"})
    assert Client(HTTP_HOST="gaz.localhost").post(
        "/admin/login/", {"username": "staff", "password": "x"}).status_code == 429
    # Per login only failures count, and many: a stranger must not lock a named staff member out.
    for attempt in range(10):
        Client(HTTP_HOST="mef.localhost", REMOTE_ADDR=f"10.1.0.{attempt}").post(
            "/admin/login/", {"username": "staff", "password": "x"})
    response = Client(HTTP_HOST="mef.localhost", REMOTE_ADDR="10.1.0.99").post(
        "/admin/login/", {"username": "staff", "password": accounts_demo.STAFF_PASSWORD, "otp_token": demo_staff_code()})
    assert response.status_code == 302
    for attempt in range(50):
        Client(HTTP_HOST="mef.localhost", REMOTE_ADDR=f"10.1.1.{attempt}").post(
            "/admin/login/", {"username": "staff", "password": "x"})
    response = Client(HTTP_HOST="mef.localhost", REMOTE_ADDR="10.1.2.1").post(
        "/admin/login/", {"username": "staff", "password": accounts_demo.STAFF_PASSWORD, "otp_token": demo_staff_code()})
    assert response.status_code == 429
    assert "Слишком много попыток входа" in response.content.decode()


def test_attempts_at_one_tenant_do_not_lock_the_same_login_at_another(demo_tenants):
    for attempt in range(50):
        Client(HTTP_HOST="gaz.localhost", REMOTE_ADDR=f"10.2.0.{attempt}").post(
            "/admin/login/", {"username": "staff", "password": "x"})
    response = Client(HTTP_HOST="mef.localhost", REMOTE_ADDR="10.2.0.99").post(
        "/admin/login/", {"username": "staff", "password": accounts_demo.STAFF_PASSWORD, "otp_token": demo_staff_code()})
    assert response.status_code == 302
