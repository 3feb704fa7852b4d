"""Each demo tenant's registration, as its guide describes, through the real views; staff
registering a customer (guide 001); and the attacks on it from the accounts review: signing up
with someone's contact, claim links, resending, the staff-made registration's continuation."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import registration
from accounts.factories import UserFactory, signup_consents
from accounts.models import Confirmation, ConsentAcceptance, User
from billing.models import Counterparty
from portal.models import ConsentDocument
from portal.scoping import scopes_disabled, tenant_scope
from portal.testing import logs_in, page_text


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


# --- Staff register a customer (guide 001) -------------------------------------------------------


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


# --- Attacks: the staff-made registration's continuation -------------------------------------


@pytest.fixture
def staff_made_code(demo_tenants, outbox, django_capture_on_commit_callbacks):
    """A rosseti customer registered by staff: (the SMS code, a wrong one)."""
    rosseti = demo_tenants["rosseti"]
    with tenant_scope(rosseti), django_capture_on_commit_callbacks(execute=True):
        registration.registration_by_staff(tenant=rosseti, email="sidor@example.com", phone="+79003332211",
                                       last_name="Сидоров", first_name="Сидор")
    code = outbox.last_code("+79003332211")
    return code, "000000" if code != "000000" else "111111"


def test_the_continuation_answers_alike_and_a_stranger_cannot_kill_the_customers_code(client_at, staff_made_code):
    code, wrong = staff_made_code
    stranger = client_at("rosseti", "10.6.0.1")
    pending = [page_text(stranger.post("/accounts/signup/continue/", {"phone": "+79003332211", "code": wrong}))
               for _ in range(6)]
    unknown = [page_text(client_at("rosseti", "10.6.0.2").post(
        "/accounts/signup/continue/", {"phone": "+79003339999", "code": wrong})).replace("+79003339999", "+79003332211")
        for _ in range(6)]
    assert pending == unknown and "Неверный телефон или код" in pending[0]
    for _ in range(4):
        stranger.post("/accounts/signup/continue/", {"phone": "+79003332211", "code": wrong})
    assert "Слишком много неверных попыток" in stranger.post("/accounts/signup/continue/", {
        "phone": "+79003332211", "code": wrong}).content.decode()
    # Only failures count: the customer, right from the first try, is not refused for them.
    customer = client_at("rosseti", "10.6.0.3")
    response = customer.post("/accounts/signup/continue/", {"phone": "+79003332211", "code": code})
    assert response.status_code == 302


def test_a_staff_made_code_outlasts_strangers_until_many_addresses_try(client_at, staff_made_code):
    code, wrong = staff_made_code
    for attempt in range(registration.STAFF_CODE_MAX_ATTEMPTS - 1):
        client_at("rosseti", f"10.7.{attempt // 10}.1").post("/accounts/signup/continue/",
                                                            {"phone": "+79003332211", "code": wrong})
    assert client_at("rosseti", "10.8.0.1").post("/accounts/signup/continue/", {
        "phone": "+79003332211", "code": code}).status_code == 302


# --- Attacks: signing up with someone's contact --------------------------------------------------


def mygaz_signup(client_at, phone, password="gas123", address="10.3.0.1"):
    client = client_at("mygaz", address)
    response = client.post("/accounts/signup/", {"login": phone, "password1": password, "password2": password})
    return client, response


def test_a_signup_with_a_taken_phone_gets_the_page_a_new_one_gets_and_the_owner_is_told(demo_tenants, outbox,
                                                                                         client_at):
    mygaz = demo_tenants["mygaz"]
    UserFactory(tenant=mygaz, email="", phone="+79001112233")
    taken_client, taken = mygaz_signup(client_at, "+79001112233")
    fresh_client, fresh = mygaz_signup(client_at, "+79001112299", address="10.3.0.2")
    assert taken.status_code == fresh.status_code == 302
    taken_page = page_text(taken_client.get("/accounts/signup/confirm/"))
    fresh_page = page_text(fresh_client.get("/accounts/signup/confirm/")).replace("***-**-99", "***-**-33")
    assert taken_page == fresh_page
    notice = outbox.messages("+79001112233")[0].text
    assert "уже есть" in notice and "восстановите пароль" in notice
    wrong = [page_text(client.post("/accounts/signup/confirm/", {"code": "000000"})).replace("***-**-99", "***-**-33")
             for client in (taken_client, fresh_client)]
    assert wrong[0] == wrong[1]
    resend = [page_text(client.post("/accounts/signup/resend/", follow=True)).replace("***-**-99", "***-**-33")
              for client in (taken_client, fresh_client)]
    assert resend[0] == resend[1]


def test_a_signup_with_a_pending_registrations_phone_does_not_delete_it(demo_tenants, outbox, client_at):
    mygaz = demo_tenants["mygaz"]
    first_client, _ = mygaz_signup(client_at, "+79007776655", password="frst4x9")
    mygaz_signup(client_at, "+79007776655", password="mlry4x9", address="10.3.0.9")
    with tenant_scope(mygaz):
        first = User.objects.get(phone="+79007776655")
    assert first.check_password("frst4x9")
    # The person at the phone gets the code and can still finish the first registration.
    first_client.post("/accounts/signup/resend/")
    with scopes_disabled():
        Confirmation.objects.filter(destination="+79007776655").update(created_at=timezone.now() - timedelta(minutes=2))
    first_client.post("/accounts/signup/resend/")
    first_client.post("/accounts/signup/confirm/", {"code": outbox.last_code("+79007776655")})
    assert logs_in(client_at("mygaz"), "+79007776655", "frst4x9")


def test_only_who_proves_the_phone_takes_over_an_abandoned_registration(demo_tenants, outbox, client_at):
    mygaz = demo_tenants["mygaz"]
    mygaz_signup(client_at, "+79007776655", password="abnd4x9")
    owner, _ = mygaz_signup(client_at, "+79007776655", password="ownr4x9", address="10.3.0.9")
    owner.post("/accounts/signup/confirm/", {"code": outbox.last_code("+79007776655")})
    with tenant_scope(mygaz):
        user = User.objects.get(phone="+79007776655")
    assert user.check_password("ownr4x9") and user.phone_verified
    assert logs_in(client_at("mygaz"), "+79007776655", "ownr4x9")


def test_a_staff_made_registration_is_never_replaced_by_a_self_signup(demo_tenants, outbox, client_at):
    rosseti = demo_tenants["rosseti"]
    with tenant_scope(rosseti):
        customer = registration.registration_by_staff(tenant=rosseti, email="sidor@example.com", phone="+79003332211",
                                                  last_name="Сидоров", first_name="Сидор")
    client = client_at("rosseti")
    client.post("/accounts/signup/", {"last_name": "Х", "first_name": "Х", "email": "x@example.com",
                                      "phone": "+79003332211", **signup_consents(rosseti)})
    client.post("/accounts/signup/confirm/", {"code": outbox.last_code("+79003332211")})
    with tenant_scope(rosseti):
        assert User.objects.filter(pk=customer.pk, email="sidor@example.com").exists()
        assert not User.objects.filter(email="x@example.com").exists()


def test_rgmek_answers_a_registered_counterparty_like_a_new_one_and_tells_its_contact(registry_unregistered,
                                                                                     demo_tenants, outbox,
                                                                                     client_at):
    rgmek = demo_tenants["rgmek"]
    data = {"inn": "6229001125", "contract_number": "1001", "password1": "secret-a1", "password2": "secret-a1",
            "contact": "+79001110001", **signup_consents(rgmek)}
    fresh = client_at("rgmek")
    fresh.post("/accounts/signup/", data)
    fresh.post("/accounts/signup/confirm/", {"code": outbox.last_code("+79001110001")})
    again = client_at("rgmek", "10.4.0.1")
    response = again.post("/accounts/signup/", {**data, "contact": "buh@hleb.example"})
    assert response.status_code == 302
    assert "уже зарегистрирован" not in again.get("/accounts/signup/confirm/").content.decode()
    assert "уже есть" in outbox.messages("buh@hleb.example")[0].text


def test_resend_is_limited_per_client(mygaz_pending_client):
    for _ in range(10):
        mygaz_pending_client.post("/accounts/signup/resend/")
    page = mygaz_pending_client.post("/accounts/signup/resend/", follow=True).content.decode()
    assert "Слишком много попыток" in page


@pytest.fixture
def mygaz_pending_client(client_at):
    client, _ = mygaz_signup(client_at, "+79007776655")
    return client


def test_a_claim_link_opened_by_the_address_owner_never_applies_a_strangers_registration(
        demo_tenants, outbox, client_at, captcha_passes):
    gaz = demo_tenants["gaz"]
    victim = client_at("gaz", "10.9.1.1")
    victim.post("/accounts/signup/", {"email": "v2@gaz.example", "password1": "vict1x", "password2": "vict1x",
                                      "captcha_0": "x", "captcha_1": "PASSED", **signup_consents(gaz)})
    attacker = client_at("gaz", "10.9.1.2")
    attacker.post("/accounts/signup/", {"email": "v2@gaz.example", "password1": "evil1x", "password2": "evil1x",
                                        "captcha_0": "x", "captcha_1": "PASSED", **signup_consents(gaz)})
    claim_mail = outbox.messages("v2@gaz.example")[0].text
    assert "незавершённая регистрация" in claim_mail or "незавершённую" in claim_mail
    link = outbox.last_link("v2@gaz.example")
    response = victim.post(link)  # the owner opens the newest mail, in their own browser
    assert response.status_code == 400
    assert "только в том браузере" in response.content.decode()
    with tenant_scope(gaz):
        user = User.objects.get(email="v2@gaz.example")
    assert user.check_password("vict1x") and not user.email_verified


def test_a_claim_link_works_in_the_browser_that_made_the_claim(demo_tenants, outbox, client_at, captcha_passes):
    gaz = demo_tenants["gaz"]
    client_at("gaz", "10.9.2.1").post("/accounts/signup/", {
        "email": "v3@gaz.example", "password1": "abnd1x", "password2": "abnd1x", "captcha_0": "x",
        "captcha_1": "PASSED", **signup_consents(gaz)})
    owner = client_at("gaz", "10.9.2.2")
    owner.post("/accounts/signup/", {"email": "v3@gaz.example", "password1": "ownr1x", "password2": "ownr1x",
                                     "captcha_0": "x", "captcha_1": "PASSED", **signup_consents(gaz)})
    assert owner.post(outbox.last_link("v3@gaz.example")).status_code == 302
    with tenant_scope(gaz):
        user = User.objects.get(email="v3@gaz.example")
    assert user.check_password("ownr1x") and user.email_verified
