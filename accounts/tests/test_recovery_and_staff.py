"""Password recovery per policy, and staff registering a customer (guide 001)."""

from django.urls import reverse

from accounts.factories import UserFactory
from accounts.models import ConsentAcceptance, User
from portal.models import ConsentDocument
from portal.scoping import tenant_scope


def logs_in(client, login, password):
    client.post("/accounts/login/", {"login": login, "password": password})
    return "_auth_user_id" in client.session


def test_rgmek_recovery_repeats_the_registration_form(registry_unregistered, demo_tenants, tenant_client, outbox):
    rgmek = demo_tenants["rgmek"]
    user = UserFactory(tenant=rgmek, username="6229001125-1001", email="buh@hleb.example", password="old-pass1")
    with tenant_scope(rgmek):
        from billing.models import Counterparty

        Counterparty.objects.filter(inn="6229001125").update(account=user)
    client = tenant_client(rgmek)
    response = client.post("/accounts/password/reset/", {
        "inn": "6229001125", "contract_number": "1002", "password1": "new-pass1", "password2": "new-pass1",
        "contact": "+79001110001",
    })
    assert response.url == "/accounts/password/reset/code/"
    client.post("/accounts/password/reset/code/", {"code": outbox.last_code("+79001110001")})
    assert logs_in(tenant_client(rgmek), "6229001125-1001", "new-pass1")
    assert not logs_in(tenant_client(rgmek), "6229001125-1001", "old-pass1")


def test_rgmek_recovery_with_an_unknown_contract_says_so(demo_tenants, tenant_client):
    page = tenant_client(demo_tenants["rgmek"]).post("/accounts/password/reset/", {
        "inn": "6229001125", "contract_number": "777", "password1": "new-pass1", "password2": "new-pass1",
        "contact": "+79001110001",
    }).content.decode()
    assert "Ошибка регистрации! Контрагент не найден!" in page


def test_mygaz_phone_recovery_by_sms_code(demo_tenants, tenant_client, outbox):
    mygaz = demo_tenants["mygaz"]
    UserFactory(tenant=mygaz, email="", username="+79007776655", phone="+79007776655", password="gas123")
    client = tenant_client(mygaz)
    client.post("/accounts/password/reset/", {"login": "8 900 777-66-55"})
    code = outbox.last_code("+79007776655")
    client.post("/accounts/password/reset/code/", {"code": code, "password1": "gas456", "password2": "gas456"})
    assert logs_in(tenant_client(mygaz), "+79007776655", "gas456")


def test_a_reset_ends_every_session(demo_tenants, tenant_client, outbox):
    mef = demo_tenants["mef"]
    UserFactory(tenant=mef, username="ivan@example.com", email="ivan@example.com", password="OldSecret123")
    logged_in = tenant_client(mef)
    assert logs_in(logged_in, "ivan@example.com", "OldSecret123")
    client = tenant_client(mef)
    client.post("/accounts/password/reset/", {"login": "ivan@example.com"})
    client.post("/accounts/password/reset/code/", {
        "code": outbox.last_code("ivan@example.com"), "password1": "NewSecret123", "password2": "NewSecret123"})
    assert not logged_in.get("/support/").context["user"].is_authenticated


def test_staff_register_a_customer_who_finishes_by_sms_password_and_link(demo_tenants, tenant_client, outbox,
                                                                          admin_login):
    rosseti = demo_tenants["rosseti"]
    staff = tenant_client(rosseti)
    with tenant_scope(rosseti):
        admin_login(staff, User.objects.get(username="staff"))
    page = staff.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "Зарегистрировать клиента" in page
    response = staff.post(reverse("admin:accounts_user_register_customer"), {
        "last_name": "Сидоров", "first_name": "Сидор", "email": "sidor@example.com", "phone": "+7 900 333-22-11",
    })
    assert response.status_code == 302
    customer = tenant_client(rosseti)
    customer.post("/accounts/signup/continue/", {"phone": "8 900 333 22 11", "code": outbox.last_code("+79003332211")})
    # Staff cannot give the 152-FZ consents for the customer: the customer gives them now.
    page = customer.get("/accounts/signup/confirm/").content.decode()
    assert "Чтобы продолжить регистрацию, ознакомьтесь" in page
    with tenant_scope(rosseti):
        documents = list(ConsentDocument.objects.filter(moment="signup", is_active=True))
    required = {f"consent_{d.pk}": "on" for d in documents if d.required}
    assert "Без этого согласия" in customer.post("/accounts/signup/confirm/", {}).content.decode()
    customer.post("/accounts/signup/confirm/", required)
    assert "Придумайте пароль" in customer.get("/accounts/signup/confirm/").content.decode()
    customer.post("/accounts/signup/confirm/", {"password1": "Very-long-passphrase-2", "password2": "Very-long-passphrase-2"})
    assert not logs_in(tenant_client(rosseti), "sidor@example.com", "Very-long-passphrase-2")
    customer.post(outbox.last_link("sidor@example.com"))
    assert logs_in(tenant_client(rosseti), "sidor@example.com", "Very-long-passphrase-2")
    with tenant_scope(rosseti):
        given = set(ConsentAcceptance.objects.filter(user__email="sidor@example.com").values_list("document", flat=True))
    assert given == {d.pk for d in documents if d.required}


def test_staff_registration_is_not_offered_on_the_platform_host(demo_tenants, tenant_client, admin_login):
    client = tenant_client(None)
    with tenant_scope(None):
        admin_login(client, User.objects.get(username="admin"))
    response = client.get(reverse("admin:accounts_user_register_customer"))
    assert response.status_code == 403

