"""Each demo tenant's registration, as its guide describes, through the real views."""

import pytest

from accounts.models import ConsentAcceptance, User
from billing.models import Counterparty
from portal.models import ConsentDocument
from portal.scoping import tenant_scope


@pytest.fixture(autouse=True)
def _captcha_test_mode(monkeypatch):
    # django-simple-captcha reads its settings once, at import; "PASSED" is then accepted.
    monkeypatch.setattr("captcha.conf.settings.CAPTCHA_TEST_MODE", True)


def consent_fields(tenant, *, optional=True):
    with tenant_scope(tenant):
        documents = ConsentDocument.objects.filter(is_active=True, moment="signup")
        return {f"consent_{d.pk}": "on" for d in documents if d.required or optional}


def user_of(tenant, **lookup):
    with tenant_scope(tenant):
        return User.objects.get(**lookup)


def logs_in(client, login, password):
    client.post("/accounts/login/", {"login": login, "password": password})
    return "_auth_user_id" in client.session


def test_gaz_email_link_login_before_activation(demo_tenants, tenant_client, outbox):
    gaz = demo_tenants["gaz"]
    client = tenant_client(gaz)
    response = client.post("/accounts/signup/", {
        "email": "Ivan@Example.com", "password1": "abc12", "password2": "abc12",
        "captcha_0": "x", "captcha_1": "PASSED", **consent_fields(gaz),
    })
    assert response.status_code == 302, response.context["form"].errors
    user = user_of(gaz, email="ivan@example.com")
    assert user.is_active and user.activation_deadline  # may log in, must confirm
    page = client.get("/accounts/signup/confirm/").content.decode()
    assert "Мы отправили письмо на ivan@example.com" in page
    assert logs_in(tenant_client(gaz), "ivan@example.com", "abc12")
    link = outbox.last_link("ivan@example.com")
    assert "Ссылка действительна до" in outbox.messages("ivan@example.com")[0].text
    assert client.get(link).status_code == 200  # a GET only shows the button
    assert user_of(gaz, pk=user.pk).activation_deadline
    client.post(link)
    assert user_of(gaz, pk=user.pk).activation_deadline is None
    assert client.post(link).status_code == 400  # single use


def test_gaz_password_rule_is_5_to_10_latin_letters_and_digits(demo_tenants, tenant_client):
    client = tenant_client(demo_tenants["gaz"])
    for bad in ("abc1", "abcdefghijk1", "пароль12", "abc 12"):
        response = client.post("/accounts/signup/", {
            "email": "a@example.com", "password1": bad, "password2": bad, "captcha_0": "x", "captcha_1": "PASSED",
            **consent_fields(demo_tenants["gaz"]),
        })
        assert "от 5 до 10 символов, только латинские буквы и цифры" in response.content.decode(), bad


def test_mef_activation_required_before_login(demo_tenants, tenant_client, outbox):
    mef = demo_tenants["mef"]
    client = tenant_client(mef)
    response = client.post("/accounts/signup/", {
        "last_name": "Иванов", "first_name": "Иван", "middle_name": "Иванович", "email": "ivan@example.com",
        "phone": "8 (900) 123-45-67", "password1": "Secret123x", "password2": "Secret123x",
        "captcha_0": "x", "captcha_1": "PASSED", **consent_fields(mef),
    })
    assert response.status_code == 302, response.context["form"].errors
    user = user_of(mef, email="ivan@example.com")
    assert (user.phone, user.get_full_name(), user.is_active) == ("+79001234567", "Иванов Иван Иванович", False)
    assert not logs_in(tenant_client(mef), "ivan@example.com", "Secret123x")
    client.post(outbox.last_link("ivan@example.com"))
    assert logs_in(tenant_client(mef), "ivan@example.com", "Secret123x")


def test_mef_password_needs_upper_lower_and_digits(demo_tenants, tenant_client):
    response = tenant_client(demo_tenants["mef"]).post("/accounts/signup/", {
        "last_name": "И", "first_name": "И", "email": "a@example.com", "phone": "+79001234567",
        "password1": "secret123", "password2": "secret123", "captcha_0": "x", "captcha_1": "PASSED",
    })
    assert "заглавные и строчные латинские буквы" in response.content.decode()


def test_rosseti_sms_code_then_password_then_email_link(demo_tenants, tenant_client, outbox):
    rosseti = demo_tenants["rosseti"]
    client = tenant_client(rosseti)
    response = client.post("/accounts/signup/", {
        "last_name": "Петров", "first_name": "Пётр", "email": "petr@example.com", "phone": "+7 900 555-44-33",
        **consent_fields(rosseti, optional=False),
    })
    assert response.status_code == 302, response.context["form"].errors
    client.post("/accounts/signup/confirm/", {"code": outbox.last_code("+79005554433")})
    page = client.get("/accounts/signup/confirm/").content.decode()
    assert "Придумайте пароль" in page
    client.post("/accounts/signup/confirm/", {"password1": "Very-long-passphrase-1", "password2": "Very-long-passphrase-1"})
    assert "petr@example.com" in client.get("/accounts/signup/confirm/").content.decode()
    assert not logs_in(tenant_client(rosseti), "petr@example.com", "Very-long-passphrase-1")
    client.post(outbox.last_link("petr@example.com"))
    assert logs_in(tenant_client(rosseti), "petr@example.com", "Very-long-passphrase-1")
    user = user_of(rosseti, email="petr@example.com")
    with tenant_scope(rosseti):
        kinds = set(ConsentAcceptance.objects.filter(user=user).values_list("document__kind", flat=True))
    assert kinds == {"personal_data_law", "personal_data"}  # marketing left unticked


def test_rosseti_requires_both_mandatory_consents(demo_tenants, tenant_client):
    response = tenant_client(demo_tenants["rosseti"]).post("/accounts/signup/", {
        "last_name": "П", "first_name": "П", "email": "p@example.com", "phone": "+79005554433",
    })
    # Each at its checkbox, and again in the error summary above the form.
    assert response.content.decode().count("Без этого согласия регистрация невозможна.") == 4


def test_mygaz_phone_login_then_consent_before_anything(demo_tenants, tenant_client, outbox):
    mygaz = demo_tenants["mygaz"]
    client = tenant_client(mygaz)
    response = client.post("/accounts/signup/", {"login": "8 900 777-66-55", "password1": "gas123", "password2": "gas123"})
    assert response.status_code == 302, response.context["form"].errors
    client.post("/accounts/signup/confirm/", {"code": outbox.last_code("+79007776655")})
    assert user_of(mygaz, phone="+79007776655").is_active
    assert logs_in(client, "+7 900 777 66 55", "gas123")
    assert client.get("/").url == "/accounts/consents/"
    with tenant_scope(mygaz):
        document = ConsentDocument.objects.get(moment="first_login")
    client.post("/accounts/consents/", {"sign": "1", f"consent_{document.pk}": "on"})
    assert client.get("/overview/").status_code == 200

    # The gate remembers the answer in the session: it asks the database no more...
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    with CaptureQueriesContext(connection) as queries:
        client.get("/overview/")
    assert not [q for q in queries if "consent" in q["sql"]]
    # ...until the tenant's documents change: a new version stops the user at once.
    with tenant_scope(mygaz):
        document.is_active = False
        document.save()
        ConsentDocument.objects.create(
            tenant=mygaz, kind=document.kind, version=document.version + 1, title=document.title,
            text="Новая редакция", checkbox_label=document.checkbox_label, moment="first_login",
        )
    assert client.get("/overview/").url == "/accounts/consents/"


def test_mygaz_email_login_by_link_or_code(demo_tenants, tenant_client, outbox):
    mygaz = demo_tenants["mygaz"]
    client = tenant_client(mygaz)
    client.post("/accounts/signup/", {"login": "gas@example.com", "password1": "gas123", "password2": "gas123"})
    text = outbox.messages("gas@example.com")[0].text
    assert "Код подтверждения" in text and "/accounts/activate/" in text
    client.post("/accounts/signup/confirm/", {"code": outbox.last_code("gas@example.com")})
    assert user_of(mygaz, email="gas@example.com").is_active


def test_rgmek_registry_errors_are_the_guides_words(demo_tenants, tenant_client):
    client = tenant_client(demo_tenants["rgmek"])
    base = {"inn": "6229001125", "contract_number": "1001", "password1": "secret-a1", "password2": "secret-a1",
            **consent_fields(demo_tenants["rgmek"])}
    wrong_contract = client.post("/accounts/signup/", {**base, "contract_number": "9999", "contact": "buh@hleb.example"})
    assert "Ошибка регистрации! Контрагент не найден!" in wrong_contract.content.decode()
    wrong_contact = client.post("/accounts/signup/", {**base, "contact": "someone@else.example"})
    assert "Ошибка регистрации! Телефон (email) не найден!" in wrong_contact.content.decode()
    bad_inn = client.post("/accounts/signup/", {**base, "inn": "6229001126", "contact": "buh@hleb.example"})
    assert "ИНН указан неверно" in bad_inn.content.decode()


def test_rgmek_code_then_generated_login_and_all_contracts(registry_unregistered, demo_tenants, tenant_client, outbox):
    rgmek = demo_tenants["rgmek"]
    client = tenant_client(rgmek)
    response = client.post("/accounts/signup/", {
        "inn": "6229001125", "contract_number": "1002", "password1": "secret-a1", "password2": "secret-a1",
        "contact": "8 900 111-00-01", **consent_fields(rgmek),
    })
    assert response.status_code == 302, response.context["form"].errors
    assert "Код действует 10 мин." in client.get("/accounts/signup/confirm/").content.decode()
    client.post("/accounts/signup/confirm/", {"code": outbox.last_code("+79001110001")})
    done = client.get("/accounts/signup/done/").content.decode()
    assert "6229001125-1002" in done and "не подлежит изменению" in done
    assert "6229001125-1002" not in client.get("/accounts/signup/done/").content.decode()  # shown once
    signed_in = tenant_client(rgmek)
    assert logs_in(signed_in, "6229001125-1002", "secret-a1")
    home = signed_in.get("/", follow=True).content.decode()
    assert "Договор № 1001" in home and "Договор № 1002" in home
    with tenant_scope(rgmek):
        counterparty = Counterparty.objects.get(inn="6229001125")
        assert counterparty.account.username == "6229001125-1002"
        assert set(counterparty.contracts.values_list("number", flat=True)) == {"1001", "1002"}
