"""Each security promise of the accounts issue, with a test that tries to break it."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts import confirmations, recovery, registration, services
from accounts.models import Confirmation, ConsentAcceptance, User
from portal.models import ConsentDocument, TenantPolicy
from portal.scoping import scopes_disabled, tenant_scope
from portal.services import policy_warnings


def make_user(tenant, *, email="", phone="", password="Pass12345x", **fields):
    with tenant_scope(tenant):
        return User.objects.create_user(
            tenant=tenant, username=email or phone, email=email, phone=phone, password=password, **fields
        )


def consents_of(tenant):
    with tenant_scope(tenant):
        return {f"consent_{d.pk}": "on" for d in ConsentDocument.objects.filter(moment="signup")}


def start_mygaz_phone_signup(client, phone="+79007776655"):
    return client.post("/accounts/signup/", {"login": phone, "password1": "gas123", "password2": "gas123"})


@pytest.fixture
def mygaz(demo_tenants):
    return demo_tenants["mygaz"]


def confirmation_of(tenant, phone):
    with tenant_scope(tenant):
        return Confirmation.objects.filter(destination=phone).latest("created_at")


# Codes and links


def test_codes_are_stored_only_as_hashes(mygaz, tenant_client, outbox):
    start_mygaz_phone_signup(tenant_client(mygaz))
    code = outbox.last_code("+79007776655")
    confirmation = confirmation_of(mygaz, "+79007776655")
    stored = " ".join(str(value) for value in confirmation.__dict__.values())
    assert code not in stored
    assert len(confirmation.code_hash) == 64


def test_five_wrong_codes_kill_the_code(mygaz, tenant_client, outbox):
    client = tenant_client(mygaz)
    start_mygaz_phone_signup(client)
    code = outbox.last_code("+79007776655")
    wrong = "000000" if code != "000000" else "111111"
    for attempt in range(1, 6):
        page = client.post("/accounts/signup/confirm/", {"code": wrong}).content.decode()
    assert "слишком много раз" in page
    page = client.post("/accounts/signup/confirm/", {"code": code}).content.decode()
    assert "Запросите новый код" in page
    with tenant_scope(mygaz):
        assert not User.objects.get(phone="+79007776655").phone_verified


def test_a_code_expires_on_time(mygaz, tenant_client, outbox):
    client = tenant_client(mygaz)
    start_mygaz_phone_signup(client)
    with scopes_disabled():
        Confirmation.objects.filter(pk=confirmation_of(mygaz, "+79007776655").pk).update(
            code_expires_at=timezone.now() - timedelta(seconds=1)
        )
    page = client.post("/accounts/signup/confirm/", {"code": outbox.last_code("+79007776655")}).content.decode()
    assert "Срок действия кода истёк" in page


def test_code_lifetime_follows_the_policy(registry_unregistered, demo_tenants, tenant_client):
    client = tenant_client(demo_tenants["rgmek"])
    client.post("/accounts/signup/", {
        "inn": "6229001125", "contract_number": "1001", "password1": "secret-a1", "password2": "secret-a1",
        "contact": "+79001110001", **consents_of(demo_tenants["rgmek"]),
    })
    confirmation = confirmation_of(demo_tenants["rgmek"], "+79001110001")
    lifetime = (confirmation.code_expires_at - confirmation.created_at).total_seconds()
    assert lifetime == pytest.approx(600, abs=2)  # 10 minutes, not allauth's 15


def test_a_code_is_bound_to_its_purpose_and_user(mygaz, outbox, settings):
    with tenant_scope(mygaz):
        alice = make_user(mygaz, phone="+79000000001")
        bob = make_user(mygaz, phone="+79000000002")
        issued = confirmations.issue(user=alice, purpose="signup_phone", channel="sms", destination=alice.phone)
        confirmations.issue(user=bob, purpose="signup_phone", channel="sms", destination=bob.phone)
        with pytest.raises(confirmations.ConfirmationError):
            confirmations.check_code(user=alice, purpose="password_reset", code=issued.code)
        with pytest.raises(confirmations.ConfirmationError):
            confirmations.check_code(user=bob, purpose="signup_phone", code=issued.code)
        confirmations.check_code(user=alice, purpose="signup_phone", code=issued.code)
        with pytest.raises(confirmations.ConfirmationError):  # single use
            confirmations.check_code(user=alice, purpose="signup_phone", code=issued.code)


def test_resend_waits_for_the_cooldown_and_replaces_the_code(mygaz, tenant_client, outbox):
    client = tenant_client(mygaz)
    start_mygaz_phone_signup(client)
    first = outbox.last_code("+79007776655")
    page = client.post("/accounts/signup/resend/", follow=True).content.decode()
    assert "Отправить код ещё раз можно через" in page
    assert len(outbox.messages("+79007776655")) == 1  # no flood of SMS
    with scopes_disabled():
        Confirmation.objects.filter(destination="+79007776655").update(created_at=timezone.now() - timedelta(seconds=61))
    client.post("/accounts/signup/resend/")
    assert len(outbox.messages("+79007776655")) == 2
    second = outbox.last_code("+79007776655")
    if first != second:
        assert "Неверный код" in client.post("/accounts/signup/confirm/", {"code": first}).content.decode()
    client.post("/accounts/signup/confirm/", {"code": second})
    with tenant_scope(mygaz):
        assert User.objects.get(phone="+79007776655").phone_verified


def test_an_activation_link_works_only_at_its_own_tenant(demo_tenants, tenant_client, outbox,
                                                         django_capture_on_commit_callbacks):
    gaz, mef = demo_tenants["gaz"], demo_tenants["mef"]
    with tenant_scope(gaz), django_capture_on_commit_callbacks(execute=True):
        user = make_user(gaz, email="ivan@example.com", is_active=False,
                         activation_deadline=timezone.now() + timedelta(hours=1))
        services.consents_record(user=user, documents=services.consent_documents(moment="signup"),
                                 client=services.ClientInfo(None, ""))
        registration.registration_advance(user=user)
    link = outbox.last_link("ivan@example.com")
    assert tenant_client(mef).post(link).status_code == 400
    assert tenant_client(gaz).post(link).status_code == 302


# Rate limits


def test_signup_is_rate_limited_per_ip(mygaz, tenant_client):
    client = tenant_client(mygaz)
    for number in range(10):
        start_mygaz_phone_signup(client, phone=f"+7900000000{number}")
    page = start_mygaz_phone_signup(client, phone="+79001111111").content.decode()
    assert "Слишком много попыток" in page


def test_recovery_is_rate_limited_per_login(demo_tenants, tenant_client):
    gaz = demo_tenants["gaz"]
    make_user(gaz, email="ivan@example.com")
    for attempt in range(5):
        Client(HTTP_HOST="gaz.localhost", REMOTE_ADDR=f"10.0.0.{attempt}").post(
            "/accounts/password/reset/", {"login": "ivan@example.com"})
    page = Client(HTTP_HOST="gaz.localhost", REMOTE_ADDR="10.0.0.99").post(
        "/accounts/password/reset/", {"login": "ivan@example.com"}).content.decode()
    assert "Слишком много попыток" in page


def test_login_is_rate_limited(demo_tenants, tenant_client):
    gaz = demo_tenants["gaz"]
    make_user(gaz, email="ivan@example.com")
    client = tenant_client(gaz)
    for attempt in range(6):
        response = client.post("/accounts/login/", {"login": "ivan@example.com", "password": "wrong"})
    assert "Слишком много" in response.content.decode() or response.status_code == 429


# Enumeration


def test_recovery_does_not_reveal_whether_an_account_exists(demo_tenants, tenant_client, outbox):
    gaz = demo_tenants["gaz"]
    make_user(gaz, email="ivan@example.com")
    known = tenant_client(gaz).post("/accounts/password/reset/", {"login": "ivan@example.com"}, follow=True)
    unknown = tenant_client(gaz).post("/accounts/password/reset/", {"login": "nobody@example.com"}, follow=True)
    assert known.status_code == unknown.status_code == 200
    assert known.templates[0].name == unknown.templates[0].name == "accounts/password_reset_code.html"
    assert len(outbox.messages("ivan@example.com")) == 1 and outbox.messages("nobody@example.com") == []


def test_login_errors_do_not_reveal_whether_an_account_exists(demo_tenants, tenant_client):
    gaz = demo_tenants["gaz"]
    make_user(gaz, email="ivan@example.com")
    known = tenant_client(gaz).post("/accounts/login/", {"login": "ivan@example.com", "password": "wrong"})
    unknown = tenant_client(gaz).post("/accounts/login/", {"login": "nobody@example.com", "password": "wrong"})
    assert known.context["form"].errors == unknown.context["form"].errors


# Tenants


def test_recovery_at_one_tenant_never_touches_another(demo_tenants, tenant_client, outbox):
    gaz, mef = demo_tenants["gaz"], demo_tenants["mef"]
    make_user(mef, email="ivan@example.com", password="mef-Pass123")
    tenant_client(gaz).post("/accounts/password/reset/", {"login": "ivan@example.com"})
    assert outbox.messages("ivan@example.com") == []
    tenant_client(mef).post("/accounts/password/reset/", {"login": "ivan@example.com"})
    link = outbox.last_link("ivan@example.com", path="/accounts/password/reset/key/")
    assert tenant_client(gaz).get(link).status_code == 400
    assert tenant_client(mef).get(link).status_code == 200


def test_the_same_email_registers_at_gaz_and_mef_as_two_accounts(demo_tenants, tenant_client, outbox, monkeypatch):
    monkeypatch.setattr("captcha.conf.settings.CAPTCHA_TEST_MODE", True)
    for slug, password in (("gaz", "abc12"), ("mef", "Secret123x")):
        tenant = demo_tenants[slug]
        consents = consents_of(tenant)
        response = tenant_client(tenant).post("/accounts/signup/", {
            "email": "same@example.com", "password1": password, "password2": password, "last_name": "А",
            "first_name": "Б", "phone": "+79001234567", "captcha_0": "x", "captcha_1": "PASSED", **consents,
        })
        assert response.status_code == 302, response.context["form"].errors
        tenant_client(tenant).post(outbox.last_link("same@example.com"))
    for slug, password, other in (("gaz", "abc12", "Secret123x"), ("mef", "Secret123x", "abc12")):
        client = tenant_client(demo_tenants[slug])
        client.post("/accounts/login/", {"login": "same@example.com", "password": other})
        assert "_auth_user_id" not in client.session
        client.post("/accounts/login/", {"login": "same@example.com", "password": password})
        assert "_auth_user_id" in client.session


# Bad input


def test_missing_csrf_token_is_refused(demo_tenants):
    client = Client(HTTP_HOST="gaz.localhost", enforce_csrf_checks=True)
    assert client.post("/accounts/signup/", {"email": "a@example.com"}).status_code == 403


@pytest.mark.parametrize("value", ["а" * 5000, "\u202eevil\u200b", "\x00null", "😀" * 60])
def test_odd_input_gets_a_message_and_changes_nothing(mygaz, tenant_client, value):
    with tenant_scope(mygaz):
        before = set(User.objects.values_list("pk", flat=True))  # staff and the demo consumer
    response = tenant_client(mygaz).post("/accounts/signup/", {"login": value, "password1": value, "password2": value})
    assert response.status_code in (200, 400)
    with tenant_scope(mygaz):
        assert set(User.objects.values_list("pk", flat=True)) == before


def test_a_replayed_reset_link_is_refused(demo_tenants, tenant_client, outbox):
    mef = demo_tenants["mef"]
    make_user(mef, email="ivan@example.com")
    tenant_client(mef).post("/accounts/password/reset/", {"login": "ivan@example.com"})
    link = outbox.last_link("ivan@example.com", path="/accounts/password/reset/key/")
    data = {"password1": "NewSecret123", "password2": "NewSecret123"}
    assert tenant_client(mef).post(link, data).status_code == 302
    assert tenant_client(mef).post(link, data).status_code == 400


# Sessions and notifications


def test_login_rotates_the_session(demo_tenants, tenant_client):
    gaz = demo_tenants["gaz"]
    make_user(gaz, email="ivan@example.com", password="abc12")
    client = tenant_client(gaz)
    client.get("/accounts/login/")
    client.session.save()
    before = client.session.session_key
    client.post("/accounts/login/", {"login": "ivan@example.com", "password": "abc12"})
    assert client.session.session_key != before


def test_password_change_rotates_this_session_ends_others_and_notifies(demo_tenants, tenant_client, outbox):
    mef = demo_tenants["mef"]
    make_user(mef, email="ivan@example.com", password="Old-Secret123")
    this, other = tenant_client(mef), tenant_client(mef)
    for client in (this, other):
        client.post("/accounts/login/", {"login": "ivan@example.com", "password": "Old-Secret123"})
    before = this.session.session_key
    response = this.post("/accounts/password/change/", {
        "oldpassword": "Old-Secret123", "password1": "NewSecret123", "password2": "NewSecret123"})
    assert response.status_code == 302
    assert this.session.session_key != before
    assert this.get("/support/").context["user"].is_authenticated
    assert not other.get("/support/").context["user"].is_authenticated
    assert outbox.messages("ivan@example.com"), "the user is told their password changed"


def test_phone_only_users_are_notified_by_sms(mygaz, outbox, django_capture_on_commit_callbacks):
    user = make_user(mygaz, phone="+79007776655", password="gas123")
    with tenant_scope(mygaz), django_capture_on_commit_callbacks(execute=True):
        recovery.password_reset_complete(user=user, password="gas456")
    assert "пароль" in outbox.messages("+79007776655")[0].text.lower()


# Consents


def test_consents_are_recorded_with_version_time_ip_and_agent(demo_tenants, tenant_client):
    rosseti = demo_tenants["rosseti"]
    with tenant_scope(rosseti):
        documents = list(ConsentDocument.objects.filter(moment="signup"))
    client = Client(HTTP_HOST="rosseti.localhost", REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="TestBrowser/1.0")
    client.post("/accounts/signup/", {"last_name": "П", "first_name": "П", "email": "p@example.com",
                                      "phone": "+79005554433", **{f"consent_{d.pk}": "on" for d in documents}})
    with tenant_scope(rosseti):
        acceptances = ConsentAcceptance.objects.filter(user__email="p@example.com")
        assert acceptances.count() == 3
        for acceptance in acceptances:
            assert (acceptance.ip_address, acceptance.user_agent) == ("203.0.113.7", "TestBrowser/1.0")
            assert acceptance.document.version == 1 and acceptance.accepted_at


def test_forwarded_for_is_trusted_only_behind_a_configured_proxy(demo_tenants, settings):
    from allauth.core.internal.httpkit import get_client_ip
    from django.test import RequestFactory

    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert get_client_ip(request) == "10.0.0.1"
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    assert get_client_ip(request) == "198.51.100.1"


def test_an_optional_consent_can_be_withdrawn_a_required_one_cannot(demo_tenants, tenant_client):
    rosseti = demo_tenants["rosseti"]
    user = make_user(rosseti, email="p@example.com", password="Very-long-passphrase-1")
    with tenant_scope(rosseti):
        documents = list(ConsentDocument.objects.filter(moment="signup"))
        services.consents_record(user=user, documents=documents, client=services.ClientInfo("127.0.0.1", "x"))
        marketing = ConsentAcceptance.objects.get(user=user, document__kind="marketing")
        required = ConsentAcceptance.objects.get(user=user, document__kind="personal_data")
    client = tenant_client(rosseti)
    client.force_login(user)
    page = client.get("/accounts/consents/").content.decode()
    assert "Согласие на рекламно-информационную рассылку" in page
    client.post("/accounts/consents/", {"withdraw": marketing.pk})
    client.post("/accounts/consents/", {"withdraw": required.pk})
    marketing.refresh_from_db(), required.refresh_from_db()
    assert marketing.withdrawn_at and required.withdrawn_at is None


# Expiry


def test_expire_unactivated_deletes_only_expired_accounts_of_policies_that_say_so(demo_tenants, capsys):
    past, future = timezone.now() - timedelta(minutes=1), timezone.now() + timedelta(hours=1)
    expired_gaz = make_user(demo_tenants["gaz"], email="old@example.com", activation_deadline=past)
    fresh_gaz = make_user(demo_tenants["gaz"], email="new@example.com", activation_deadline=future)
    active_gaz = make_user(demo_tenants["gaz"], email="active@example.com")
    kept_mef = make_user(demo_tenants["mef"], email="old@example.com", activation_deadline=past)  # mef keeps them
    call_command("expire_unactivated")
    output = capsys.readouterr().out
    assert "gaz: 1 deleted" in output and "mef: 0 deleted" in output
    with scopes_disabled():
        remaining = set(User.objects.values_list("pk", flat=True))
    assert expired_gaz.pk not in remaining
    assert {fresh_gaz.pk, active_gaz.pk, kept_mef.pk} <= remaining


def test_beat_runs_expiry_hourly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["expire-unactivated-accounts"]
    assert entry == {"task": "accounts.tasks.expire_unactivated", "schedule": 3600.0}


# Policy warnings


def test_weak_policies_are_warned_about_but_allowed(demo_tenants):
    gaz_policy = TenantPolicy.objects.get(tenant=demo_tenants["gaz"])
    warnings = policy_warnings(gaz_policy)
    assert len(warnings) == 2  # short passwords; gaz asks the control question (a PIN, a serial)
    assert not any("Контрольный вопрос выключен" in warning for warning in warnings)
    # Linking by number with no question: full access only from staff, and the policy says so.
    rosseti_policy = TenantPolicy.objects.get(tenant=demo_tenants["rosseti"])
    assert [warning.split(":")[0] for warning in policy_warnings(rosseti_policy)] == ["Контрольный вопрос выключен"]


def test_common_passwords_are_refused_by_every_policy(demo_tenants):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for tenant in demo_tenants.values():
        with tenant_scope(tenant), pytest.raises(ValidationError):
            validate_password("password1", user=User(tenant=tenant))


def test_one_phone_gets_at_most_ten_codes_an_hour_whoever_asks(mygaz, tenant_client, outbox):
    data = {"login": "+79007776655", "password1": "gas123", "password2": "gas123"}
    for attempt in range(11):  # re-registering deletes the pending user: a new one each time
        page = tenant_client(mygaz).post("/accounts/signup/", data, REMOTE_ADDR=f"10.3.0.{attempt}").content.decode()
    assert "уже отправлено много кодов" in page
    assert len(outbox.messages("+79007776655")) == 10


def test_a_junk_withdrawal_id_changes_nothing(demo_tenants, tenant_client):
    rosseti = demo_tenants["rosseti"]
    user = make_user(rosseti, email="p@example.com", password="Very-long-passphrase-1")
    client = tenant_client(rosseti)
    client.force_login(user)
    for junk in ("abc", "1 OR 1=1", "-1", ""):
        assert client.post("/accounts/consents/", {"withdraw": junk}).status_code == 302


def test_login_never_redirects_to_another_host(demo_tenants, tenant_client):
    gaz = demo_tenants["gaz"]
    make_user(gaz, email="ivan@example.com", password="abc12")
    client = tenant_client(gaz)
    for target in ("http://evil.example/", "//evil.example/", "http://mef.localhost/"):
        response = client.post("/accounts/login/", {"login": "ivan@example.com", "password": "abc12", "next": target})
        assert response.status_code == 302 and response.url == "/overview/", target
        client.post("/accounts/logout/")
