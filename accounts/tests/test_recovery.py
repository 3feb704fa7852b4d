"""Password recovery: per policy (by e-mail link, by SMS code, rgmek's by the registration
form), a reset ending every session; limited per login and per client, one tenant's never
touching another's, a link used once; and the attacks from the accounts review: recovery
answers alike whether an account exists, is pending or not, across sessions."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.factories import UserFactory
from accounts.models import User
from portal.scoping import tenant_scope
from portal.testing import logs_in, page_text


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


# --- Attacks: recovery per login, per tenant, replayed -------------------------------------------


def test_recovery_is_rate_limited_per_login(demo_tenants, tenant_client):
    gaz = demo_tenants["gaz"]
    UserFactory(tenant=gaz, email="ivan@example.com")
    for attempt in range(5):
        Client(HTTP_HOST="gaz.localhost", REMOTE_ADDR=f"10.0.0.{attempt}").post(
            "/accounts/password/reset/", {"login": "ivan@example.com"})
    page = Client(HTTP_HOST="gaz.localhost", REMOTE_ADDR="10.0.0.99").post(
        "/accounts/password/reset/", {"login": "ivan@example.com"}).content.decode()
    assert "Слишком много попыток" in page


def test_recovery_does_not_reveal_whether_an_account_exists(demo_tenants, tenant_client, outbox):
    gaz = demo_tenants["gaz"]
    UserFactory(tenant=gaz, email="ivan@example.com")
    known = tenant_client(gaz).post("/accounts/password/reset/", {"login": "ivan@example.com"}, follow=True)
    unknown = tenant_client(gaz).post("/accounts/password/reset/", {"login": "nobody@example.com"}, follow=True)
    assert known.status_code == unknown.status_code == 200
    assert known.templates[0].name == unknown.templates[0].name == "accounts/password_reset_code.html"
    assert len(outbox.messages("ivan@example.com")) == 1 and outbox.messages("nobody@example.com") == []


def test_recovery_at_one_tenant_never_touches_another(demo_tenants, tenant_client, outbox):
    gaz, mef = demo_tenants["gaz"], demo_tenants["mef"]
    UserFactory(tenant=mef, email="ivan@example.com", password="mef-Pass123")
    tenant_client(gaz).post("/accounts/password/reset/", {"login": "ivan@example.com"})
    assert outbox.messages("ivan@example.com") == []
    tenant_client(mef).post("/accounts/password/reset/", {"login": "ivan@example.com"})
    link = outbox.last_link("ivan@example.com", path="/accounts/password/reset/key/")
    assert tenant_client(gaz).get(link).status_code == 400
    assert tenant_client(mef).get(link).status_code == 200


def test_a_replayed_reset_link_is_refused(demo_tenants, tenant_client, outbox):
    mef = demo_tenants["mef"]
    UserFactory(tenant=mef, email="ivan@example.com")
    tenant_client(mef).post("/accounts/password/reset/", {"login": "ivan@example.com"})
    link = outbox.last_link("ivan@example.com", path="/accounts/password/reset/key/")
    data = {"password1": "NewSecret123", "password2": "NewSecret123"}
    assert tenant_client(mef).post(link, data).status_code == 302
    assert tenant_client(mef).post(link, data).status_code == 400


# --- Attacks: recovery told whether an account exists; its limit keyed on the raw input ----------


def reset_pages(client, login, tries, password):
    client.post("/accounts/password/reset/", {"login": login})
    return [page_text(client.post("/accounts/password/reset/code/", {
        "code": "000000", "password1": password, "password2": password})) for _ in range(tries)]


@pytest.mark.parametrize("password", ["Zq7Wx3Pv", "exampleQ7"])
def test_recovery_answers_alike_for_an_account_a_pending_one_and_nobody(demo_tenants, password, client_at):
    gaz = demo_tenants["gaz"]
    UserFactory(tenant=gaz, email="example@example.com")
    UserFactory(tenant=gaz, email="pending@example.com", is_active=False, activation_deadline=timezone.now() + timedelta(days=1))
    existing = reset_pages(client_at("gaz", "10.7.0.1"), "example@example.com", 6, password)
    pending = reset_pages(client_at("gaz", "10.7.0.2"), "pending@example.com", 6, password)
    nobody = reset_pages(client_at("gaz", "10.7.0.3"), "nobody@example.com", 6, password)
    assert existing == pending == nobody
    assert "Осталось попыток: 4" in existing[0] and "слишком много раз" in existing[4]
    assert "похож" not in existing[0]


def test_a_new_password_like_the_login_is_refused_only_once_the_code_is_proven(demo_tenants, outbox, client_at):
    gaz = demo_tenants["gaz"]
    UserFactory(tenant=gaz, email="example@example.com", password="Old12345")
    client = client_at("gaz")
    client.post("/accounts/password/reset/", {"login": "example@example.com"})
    code = outbox.last_code("example@example.com")
    page = client.post("/accounts/password/reset/code/", {"code": code, "password1": "exampleQ7",
                                                          "password2": "exampleQ7"}).content.decode()
    assert "похож" in page
    response = client.post("/accounts/password/reset/code/", {"code": code, "password1": "Fresh12345",
                                                              "password2": "Fresh12345"})
    assert response.status_code == 302  # the code outlived the refused password
    assert logs_in(client_at("gaz"), "example@example.com", "Fresh12345")


@pytest.mark.parametrize(("slug", "spellings", "field"), [
    ("mygaz", ["+79001234567", "+7 (900) 123-45-67", "8 900 123 45 67", "+7９００１２３４５６７"], "login"),
    ("rgmek", ["6229001125", "62290 01125", " 6229001125 ", "6229 001 125"], "inn"),
])
def test_every_spelling_of_a_login_shares_one_recovery_limit(demo_tenants, slug, spellings, field, client_at):
    for attempt in range(6):
        response = client_at(slug, f"10.5.0.{attempt}").post(
            "/accounts/password/reset/", {field: spellings[attempt % len(spellings)]})
    assert "Слишком много попыток" in response.content.decode()


def test_recovery_answers_alike_across_sessions_within_the_cooldown(demo_tenants, client_at):
    gaz = demo_tenants["gaz"]
    UserFactory(tenant=gaz, email="example@example.com")

    def two_sessions(login, first, second):
        pages = []
        for address in (first, second):
            client = client_at("gaz", address)
            client.post("/accounts/password/reset/", {"login": login})
            pages.append(page_text(client.post("/accounts/password/reset/code/", {
                "code": "000000", "password1": "Zq7Wx3Pv", "password2": "Zq7Wx3Pv"})))
        return pages

    assert two_sessions("example@example.com", "10.9.3.1", "10.9.3.2") == \
        two_sessions("nobody@example.com", "10.9.3.3", "10.9.3.4")


def test_rgmek_recovery_answers_alike_for_a_counterparty_without_an_account(demo_tenants, outbox, client_at):
    rgmek = demo_tenants["rgmek"]
    with tenant_scope(rgmek):
        from billing.models import Counterparty

        user = User.objects.create_user(tenant=rgmek, username="6234005679-2001", email="office@sklad.example",
                                        password="old-pass9")
        Counterparty.objects.filter(inn="6234005679").update(account=user)

    def attempt(inn, contract, contact, address):
        client = client_at("rgmek", address)
        first = client.post("/accounts/password/reset/", {"inn": inn, "contract_number": contract, "contact": contact,
                                                          "password1": "new-pass9", "password2": "new-pass9"})
        second = client.post("/accounts/password/reset/code/", {"code": "000000"})
        return first.status_code, first.get("Location"), page_text(second)

    registered = attempt("6234005679", "2001", "office@sklad.example", "10.9.4.1")
    unregistered = attempt("6229001125", "1001", "buh@hleb.example", "10.9.4.2")
    assert registered == unregistered
    assert "нет" in outbox.messages("buh@hleb.example")[0].text  # its contact is told
