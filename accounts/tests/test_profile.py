"""«Мой профиль»: the name, a new phone proven by an SMS code, a new e-mail proven by a link,
the old contact told, the login following the contact (never a generated one), and every
refusal of what belongs to another user or tenant."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.profile import services as profile
from accounts.factories import PASSWORD, UserFactory
from accounts.models import Confirmation, User
from portal.factories import TenantFactory
from portal.models import OutgoingMessage
from portal.scoping import tenant_scope
from portal.testing import logs_in

OLD_PHONE, NEW_PHONE, OTHER_PHONE = "+79007770001", "+79007770002", "+79007770003"


def reload(user):
    with tenant_scope(user.tenant):
        return User.objects.get(pk=user.pk)


def signed_in(tenant_client, user):
    client = tenant_client(user.tenant)
    client.force_login(user)
    return client


def messages_to(tenant, to):
    with tenant_scope(tenant):
        return list(OutgoingMessage.objects.filter(to=to).order_by("created_at"))


def texts_to(outbox, to):
    return [message.text for message in outbox.messages(to)]


def wrong(code):
    return "000000" if code != "000000" else "111111"


@pytest.fixture
def tenant(db):
    return TenantFactory(slug="alpha")


@pytest.fixture
def phone_tenant(db):
    """Login by phone or e-mail (guide 004's kind)."""
    return TenantFactory(slug="phones", policy__login_kind="phone_or_email")


@pytest.fixture
def person(tenant):
    return UserFactory(tenant=tenant, email="anna@example.com", phone=OLD_PHONE, last_name="Старая")


# The page and the name


def test_the_profile_needs_a_login(tenant, tenant_client):
    response = tenant_client(tenant).get("/accounts/profile/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_the_name_is_edited_and_the_page_is_the_settings_hub(person, tenant_client):
    client = signed_in(tenant_client, person)
    page = client.get("/accounts/profile/").content.decode()
    assert "Мой профиль" in page
    assert 'href="/accounts/password/change/"' in page
    assert 'href="/accounts/consents/"' in page
    response = client.post("/accounts/profile/", {"last_name": "Иванова", "first_name": "Анна",
                                                 "middle_name": "Петровна"})
    assert response.status_code == 302
    person = reload(person)
    assert (person.last_name, person.first_name, person.middle_name) == ("Иванова", "Анна", "Петровна")


def test_the_menu_has_profile_instead_of_consents_and_password(person, tenant_client):
    page = signed_in(tenant_client, person).get("/accounts/profile/").content.decode()
    menu = page.split('aria-label="Главное меню"', 1)[1].split("</nav>", 1)[0]
    assert "Профиль" in menu
    assert "Согласия" not in menu and "Смена пароля" not in menu


def test_a_required_name_stays_required(tenant, tenant_client):
    tenant.policy.full_name_field = "required"
    tenant.policy.save()
    user = UserFactory(tenant=tenant, email="req@example.com", last_name="Был", first_name="Был")
    response = signed_in(tenant_client, user).post("/accounts/profile/", {"last_name": "", "first_name": ""})
    assert response.status_code == 200
    assert "Исправьте ошибки в форме" in response.content.decode()
    assert reload(user).last_name == "Был"


def test_name_posts_are_rate_limited(person, tenant_client):
    client = signed_in(tenant_client, person)
    for _attempt in range(10):
        client.post("/accounts/profile/", {"last_name": "А"})
    page = client.post("/accounts/profile/", {"last_name": "Б"}).content.decode()
    assert "Слишком много попыток" in page
    assert reload(person).last_name == "А"


# A new phone


def test_a_new_phone_is_set_only_after_its_code(person, tenant_client, outbox):
    client = signed_in(tenant_client, person)
    response = client.post("/accounts/profile/phone/", {"current_password": PASSWORD, "phone": "8 (900) 777-00-02"})
    assert response.url == "/accounts/profile/phone/confirm/"
    assert reload(person).phone == OLD_PHONE  # nothing changes before the code
    code = outbox.last_code(NEW_PHONE)
    page = client.get("/accounts/profile/phone/confirm/").content.decode()
    assert "+7 900 ***-**-02" in page
    response = client.post("/accounts/profile/phone/confirm/", {"code": code})
    assert response.url == "/accounts/profile/"
    person = reload(person)
    assert (person.phone, person.phone_verified) == (NEW_PHONE, True)
    assert person.username == "anna@example.com"  # an e-mail login does not follow the phone
    # The old phone is told, without any code.
    told = texts_to(outbox, OLD_PHONE)
    assert len(told) == 1 and "изменён на +7 900 ***-**-02" in told[0]
    assert not re.search(r"\d{6}", told[0])
    assert [m.channel for m in messages_to(person.tenant, OLD_PHONE)] == ["sms"]
    # The code was single use.
    response = client.post("/accounts/profile/phone/confirm/", {"code": code})
    assert response.url == "/accounts/profile/"  # nothing is pending any more


def test_the_phone_code_is_stored_hashed_and_bound_to_its_purpose(person, tenant_client, outbox):
    signed_in(tenant_client, person).post("/accounts/profile/phone/", {"current_password": PASSWORD, "phone": NEW_PHONE})
    code = outbox.last_code(NEW_PHONE)
    with tenant_scope(person.tenant):
        confirmation = Confirmation.objects.get(purpose=Confirmation.Purpose.CHANGE_PHONE)
    assert code not in confirmation.code_hash
    assert confirmation.payload == {"phone": NEW_PHONE}


def test_wrong_codes_count_and_kill_the_code(person, tenant_client, outbox):
    client = signed_in(tenant_client, person)
    client.post("/accounts/profile/phone/", {"current_password": PASSWORD, "phone": NEW_PHONE})
    code = outbox.last_code(NEW_PHONE)
    attempts = person.tenant.policy.code_max_attempts
    for left in range(attempts - 1, 0, -1):
        page = client.post("/accounts/profile/phone/confirm/", {"code": wrong(code)}).content.decode()
        assert f"Неверный код. Осталось попыток: {left}." in page
    page = client.post("/accounts/profile/phone/confirm/", {"code": wrong(code)}).content.decode()
    assert "слишком много раз" in page
    page = client.post("/accounts/profile/phone/confirm/", {"code": code}).content.decode()
    assert "Запросите новый код" in page
    assert reload(person).phone == OLD_PHONE


def test_a_new_code_waits_for_the_cooldown(person, tenant_client, outbox):
    client = signed_in(tenant_client, person)
    client.post("/accounts/profile/phone/", {"current_password": PASSWORD, "phone": NEW_PHONE})
    page = client.post("/accounts/profile/phone/", {"current_password": PASSWORD, "phone": OTHER_PHONE}).content.decode()
    assert "ещё раз можно через" in page
    client.post("/accounts/profile/phone/resend/")
    assert len(texts_to(outbox, NEW_PHONE)) == 1 and not texts_to(outbox, OTHER_PHONE)
    with tenant_scope(person.tenant):
        Confirmation.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    client.post("/accounts/profile/phone/resend/")
    codes = texts_to(outbox, NEW_PHONE)
    assert len(codes) == 2
    # The first code was superseded by the second.
    first = re.search(r"\d{6}", codes[1]).group(0)
    second = outbox.last_code(NEW_PHONE)
    if first != second:
        page = client.post("/accounts/profile/phone/confirm/", {"code": first}).content.decode()
        assert "Неверный код" in page
    client.post("/accounts/profile/phone/confirm/", {"code": second})
    assert reload(person).phone == NEW_PHONE


def test_the_destination_budget_holds_for_profile_codes(person, tenant_client, monkeypatch):
    monkeypatch.setattr("accounts.confirmations.MAX_PER_DESTINATION", 0)
    page = signed_in(tenant_client, person).post("/accounts/profile/phone/", {"current_password": PASSWORD, "phone": NEW_PHONE}).content.decode()
    assert "уже отправлено много кодов" in page
    assert not messages_to(person.tenant, NEW_PHONE)


def test_the_current_phone_or_a_landline_is_refused(person, tenant_client):
    client = signed_in(tenant_client, person)
    assert "уже указан в вашем профиле" in client.post("/accounts/profile/phone/", {"current_password": PASSWORD, "phone": OLD_PHONE}).content.decode()
    assert "номер мобильного телефона" in client.post("/accounts/profile/phone/", {"current_password": PASSWORD, "phone": "+7 491 222-33-44"}
                                                      ).content.decode()


def test_a_taken_phone_looks_free_and_its_owner_is_told(person, tenant, tenant_client, outbox):
    owner = UserFactory(tenant=tenant, email="owner@example.com", phone=OTHER_PHONE)
    client = signed_in(tenant_client, person)
    taken = client.post("/accounts/profile/phone/", {"current_password": PASSWORD, "phone": OTHER_PHONE})
    assert taken.url == "/accounts/profile/phone/confirm/"  # the page a free number gets
    notice = texts_to(outbox, OTHER_PHONE)
    assert len(notice) == 1 and "кто-то пытался указать ваш номер" in notice[0]
    assert not re.search(r"\d{4,}", notice[0])  # no code in it
    page = client.get("/accounts/profile/phone/confirm/").content.decode()
    assert "+7 900 ***-**-03" in page
    # Every code is refused in a real code's words, and the limit counts the same.
    for code in ("123456", "654321"):
        page = client.post("/accounts/profile/phone/confirm/", {"code": code}).content.decode()
        assert "Неверный код. Осталось попыток" in page
    assert reload(person).phone == OLD_PHONE
    assert reload(owner).phone == OTHER_PHONE
    # Another number inside the cooldown waits, as after a free one.
    assert "ещё раз можно через" in client.post("/accounts/profile/phone/", {"current_password": PASSWORD, "phone": NEW_PHONE}).content.decode()


def test_a_race_at_apply_saves_nothing_and_says_why(tenant, tenant_client, outbox):
    first = UserFactory(tenant=tenant, email="first@example.com")
    second = UserFactory(tenant=tenant, email="second@example.com")
    first_client, second_client = signed_in(tenant_client, first), signed_in(tenant_client, second)
    first_client.post("/accounts/profile/phone/", {"current_password": PASSWORD, "phone": NEW_PHONE})
    first_code = outbox.last_code(NEW_PHONE)
    second_client.post("/accounts/profile/phone/", {"current_password": PASSWORD, "phone": NEW_PHONE})  # free still: a real code
    second_code = outbox.last_code(NEW_PHONE)
    first_client.post("/accounts/profile/phone/confirm/", {"code": first_code})
    assert reload(first).phone == NEW_PHONE
    page = second_client.post("/accounts/profile/phone/confirm/", {"code": second_code}).content.decode()
    assert "Этот номер уже указан в другом личном кабинете. Изменение не сохранено." in page
    assert reload(second).phone == ""
    with tenant_scope(tenant):
        assert not Confirmation.objects.filter(user=second, used_at__isnull=False).exists()


def test_the_database_constraint_backs_the_check_at_apply(tenant, tenant_client, outbox, monkeypatch):
    """Two confirmations committing at once both pass the check; the unique index decides."""
    first = UserFactory(tenant=tenant, email="first@example.com", phone=NEW_PHONE)
    second = UserFactory(tenant=tenant, email="second@example.com")
    client = signed_in(tenant_client, second)
    monkeypatch.setattr(profile, "_held_by_another", lambda user, **contact: False)
    client.post("/accounts/profile/phone/", {"current_password": PASSWORD, "phone": NEW_PHONE})
    page = client.post("/accounts/profile/phone/confirm/", {"code": outbox.last_code(NEW_PHONE)}).content.decode()
    assert "Этот номер уже указан в другом личном кабинете" in page
    assert reload(second).phone == "" and reload(first).phone == NEW_PHONE


def test_a_reset_code_sent_to_the_old_phone_dies_with_it(phone_tenant, tenant_client, outbox):
    user = UserFactory(tenant=phone_tenant, email="", phone=OLD_PHONE)
    tenant_client(phone_tenant).post("/accounts/password/reset/", {"login": OLD_PHONE})
    client = signed_in(tenant_client, user)
    client.post("/accounts/profile/phone/", {"current_password": PASSWORD, "phone": NEW_PHONE})
    client.post("/accounts/profile/phone/confirm/", {"code": outbox.last_code(NEW_PHONE)})
    with tenant_scope(phone_tenant):
        reset = Confirmation.objects.get(purpose=Confirmation.Purpose.PASSWORD_RESET)
    assert reset.superseded


# A new e-mail


def start_email_change(client, email="Anna.New@Example.com"):
    return client.post("/accounts/profile/email/", {"email": email, "current_password": PASSWORD})


def test_a_new_contact_needs_the_current_password(person, tenant_client, outbox):
    """A session alone (left open, or stolen) must not move the account's recovery to a
    phone or mailbox someone else reads: the password is asked, as a password change asks."""
    client = signed_in(tenant_client, person)
    page = client.post("/accounts/profile/email/", {"email": "attacker@example.com"}).content.decode()
    assert "Текущий пароль: Это поле обязательно для заполнения." in page
    page = client.post("/accounts/profile/phone/", {"phone": NEW_PHONE, "current_password": "guess"}).content.decode()
    assert "Пароль введён неверно." in page
    assert outbox.messages("attacker@example.com") == [] and outbox.messages(NEW_PHONE) == []


def test_wrong_current_passwords_on_the_contact_forms_stop_at_five_an_hour(person, tenant_client, outbox):
    client = signed_in(tenant_client, person)
    for guess in range(4):
        client.post("/accounts/profile/email/", {"email": "a@example.com", "current_password": f"guess-{guess}"})
    assert "Пароль введён неверно." in client.post(
        "/accounts/profile/phone/", {"phone": NEW_PHONE, "current_password": "guess-5"}).content.decode()
    page = start_email_change(client).content.decode()  # the right password, past the limit
    assert "Слишком много неверных паролей" in page
    assert outbox.messages("anna.new@example.com") == []


def test_the_punycode_spelling_of_a_taken_idn_address_is_taken_too(person, tenant, tenant_client, outbox):
    """«anna@пример.рф» and «anna@xn--e1afmkfd.xn--p1ai» are one mailbox: stored in one
    spelling, so the «taken» check, the unique index and the hourly budget see one address."""
    owner = UserFactory(tenant=tenant, email="Anna@Пример.РФ", phone=OTHER_PHONE)
    assert owner.email == "anna@пример.рф"
    start_email_change(signed_in(tenant_client, person), email="anna@xn--e1afmkfd.xn--p1ai")
    assert [message.to for message in messages_to(tenant, "anna@пример.рф")] == ["anna@пример.рф"]
    # The mail goes out with the domain in its ASCII spelling, as SMTP wants it.
    notices = texts_to(outbox, "anna@xn--e1afmkfd.xn--p1ai")
    assert len(notices) == 1 and "/accounts/profile/email/" not in notices[0]  # the owner's notice, no link


def test_a_new_email_is_set_by_its_link_once(person, tenant_client, outbox):
    client = signed_in(tenant_client, person)
    response = start_email_change(client)
    assert response.url == "/accounts/profile/"
    assert reload(person).email == "anna@example.com"
    link = outbox.last_link("anna.new@example.com", path="/accounts/profile/email/")
    assert "Ждём подтверждения адреса anna.new@example.com" in client.get("/accounts/profile/").content.decode()
    # Another browser, not signed in (the phone the mail is read on): the key alone applies.
    elsewhere = tenant_client(person.tenant)
    assert "Подтвердить адрес" in elsewhere.get(link).content.decode()
    assert reload(person).email == "anna@example.com"  # a GET (a mail scanner) changes nothing
    page = elsewhere.post(link).content.decode()
    assert "подтверждён" in page
    person = reload(person)
    assert (person.email, person.email_verified, person.username) == ("anna.new@example.com", True, "anna.new@example.com")
    told = messages_to(person.tenant, "anna@example.com")
    assert [m.channel for m in told] == ["email"]
    assert "E-mail вашего личного кабинета изменён" in texts_to(outbox, "anna@example.com")[0]
    again = elsewhere.post(link)
    assert again.status_code == 400 and "Ссылка уже использована." in again.content.decode()


def test_the_signed_in_owner_lands_on_the_profile(person, tenant_client, outbox):
    client = signed_in(tenant_client, person)
    start_email_change(client)
    response = client.post(outbox.last_link("anna.new@example.com", path="/accounts/profile/email/"))
    assert response.url == "/accounts/profile/"
    assert "Теперь входите с ним: anna.new@example.com" in client.get("/accounts/profile/").content.decode()


def test_an_expired_email_link_is_refused(person, tenant_client, outbox):
    client = signed_in(tenant_client, person)
    start_email_change(client)
    link = outbox.last_link("anna.new@example.com", path="/accounts/profile/email/")
    with tenant_scope(person.tenant):
        Confirmation.objects.update(key_expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(link)
    assert response.status_code == 400 and "Срок действия ссылки истёк." in response.content.decode()
    assert reload(person).email == "anna@example.com"


def test_a_taken_email_looks_free_and_its_owner_is_told(person, tenant, tenant_client, outbox):
    UserFactory(tenant=tenant, email="owner@example.com")
    client = signed_in(tenant_client, person)
    free = start_email_change(client, "free@example.com")
    with tenant_scope(tenant):
        Confirmation.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    taken = start_email_change(client, "Owner@example.com")
    assert taken.url == free.url == "/accounts/profile/"
    page = client.get("/accounts/profile/").content.decode()
    assert "Мы отправили письмо на owner@example.com" in page
    notice = texts_to(outbox, "owner@example.com")
    assert len(notice) == 1 and "/accounts/profile/email/" not in notice[0]
    assert "Кто-то пытался указать этот адрес" in notice[0]
    assert reload(person).email == "anna@example.com"


def test_a_race_for_an_email_keeps_the_link_and_saves_nothing(tenant, tenant_client, outbox):
    person = UserFactory(tenant=tenant, email="anna@example.com")
    start_email_change(signed_in(tenant_client, person), "shared@example.com")
    link = outbox.last_link("shared@example.com", path="/accounts/profile/email/")
    UserFactory(tenant=tenant, email="shared@example.com")  # registered meanwhile
    response = tenant_client(tenant).post(link)
    assert response.status_code == 400
    assert "Этот e-mail уже указан в другом личном кабинете" in response.content.decode()
    assert reload(person).email == "anna@example.com"
    with tenant_scope(tenant):
        assert Confirmation.objects.get(purpose=Confirmation.Purpose.CHANGE_EMAIL).used_at is None


# The login after a change


def test_a_phone_login_moves_to_the_new_phone(phone_tenant, tenant_client, outbox):
    user = UserFactory(tenant=phone_tenant, email="", phone=OLD_PHONE)
    client = signed_in(tenant_client, user)
    client.post("/accounts/profile/phone/", {"current_password": PASSWORD, "phone": NEW_PHONE})
    client.post("/accounts/profile/phone/confirm/", {"code": outbox.last_code(NEW_PHONE)})
    assert reload(user).username == NEW_PHONE
    assert logs_in(tenant_client(phone_tenant), "8 900 777-00-02", PASSWORD)
    assert not logs_in(tenant_client(phone_tenant), OLD_PHONE, PASSWORD)
    # The old number is free for someone else's signup now (its login went with it).
    UserFactory(tenant=phone_tenant, email="", phone=OLD_PHONE)


def test_an_email_login_moves_to_the_new_email(person, tenant_client, outbox):
    client = signed_in(tenant_client, person)
    start_email_change(client)
    client.post(outbox.last_link("anna.new@example.com", path="/accounts/profile/email/"))
    assert logs_in(tenant_client(person.tenant), "anna.new@example.com", PASSWORD)
    assert not logs_in(tenant_client(person.tenant), "anna@example.com", PASSWORD)


def test_a_generated_contract_login_never_changes(db, tenant_client, outbox):
    rgmek = TenantFactory(slug="contracts", policy__login_kind="contract")
    user = UserFactory(tenant=rgmek, username="6229001125-1001", email="buh@hleb.example", phone=OLD_PHONE, login_is_generated=True)
    client = signed_in(tenant_client, user)
    assert "6229001125-1001" in client.get("/accounts/profile/").content.decode()
    client.post("/accounts/profile/phone/", {"current_password": PASSWORD, "phone": NEW_PHONE})
    client.post("/accounts/profile/phone/confirm/", {"code": outbox.last_code(NEW_PHONE)})
    start_email_change(client, "new@hleb.example")
    client.post(outbox.last_link("new@hleb.example", path="/accounts/profile/email/"))
    user = reload(user)
    assert (user.username, user.phone, user.email) == ("6229001125-1001", NEW_PHONE, "new@hleb.example")
    assert logs_in(tenant_client(rgmek), "6229001125-1001", PASSWORD)


# Other users and tenants


def test_another_tenants_host_knows_no_key(person, tenant_client, outbox):
    other = TenantFactory(slug="beta")
    start_email_change(signed_in(tenant_client, person))
    link = outbox.last_link("anna.new@example.com", path="/accounts/profile/email/")
    intruder = UserFactory(tenant=other, email="intruder@example.com")
    response = signed_in(tenant_client, intruder).post(link)
    assert response.status_code == 400 and "Ссылка недействительна." in response.content.decode()
    assert reload(person).email == "anna@example.com"
    assert reload(intruder).email == "intruder@example.com"


def test_another_user_sees_nothing_and_cannot_use_the_code(person, tenant, tenant_client, outbox):
    signed_in(tenant_client, person).post("/accounts/profile/phone/", {"current_password": PASSWORD, "phone": NEW_PHONE})
    code = outbox.last_code(NEW_PHONE)
    other = signed_in(tenant_client, UserFactory(tenant=tenant, email="other@example.com"))
    assert other.get("/accounts/profile/phone/confirm/").url == "/accounts/profile/"
    page = other.get("/accounts/profile/").content.decode()
    assert "***-**-02" not in page
    assert other.post("/accounts/profile/phone/confirm/", {"code": code}).url == "/accounts/profile/"
    assert other.post("/accounts/profile/phone/resend/").url == "/accounts/profile/"
    assert reload(person).phone == OLD_PHONE
    assert not messages_to(tenant, OLD_PHONE)
