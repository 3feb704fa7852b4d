"""What issue 7's items 8–12 changed on the server side: the language, the staff-registration
path and its SMS, password errors and hints, the "not activated" resend, the admin's user
page. The browser walks of the same are in tests/e2e/."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db.models import F
from django.urls import reverse

from accounts import registration, services
from accounts.models import Confirmation, User
from accounts.passwords import describe_password_rule, password_rule_errors
from portal.models import ConsentDocument
from portal.scoping import tenant_scope


def page_of(response):
    return response.content.decode()


# 8. Language


def test_an_english_browser_gets_russian(demo_tenants, tenant_client):
    client = tenant_client(demo_tenants["gaz"], HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    page = page_of(client.post("/accounts/login/", {}))
    assert '<html lang="ru">' in page
    assert "Запомнить меня" in page and "Remember" not in page
    assert "This field is required" not in page and "placeholder" not in page


# 9. The staff-registration path


def test_only_rosseti_registers_customers_by_staff(demo_tenants):
    assert {slug for slug, tenant in demo_tenants.items() if tenant.policy.registers_customers_by_staff} == {"rosseti"}


def test_the_path_is_not_served_where_staff_do_not_register(demo_tenants, tenant_client, admin_login):
    gaz = demo_tenants["gaz"]
    client = tenant_client(gaz)
    assert "Вас зарегистрировал сотрудник?" not in page_of(client.get("/accounts/signup/"))
    assert client.get("/accounts/signup/continue/").status_code == 404
    staff = tenant_client(gaz)
    with tenant_scope(gaz):
        admin_login(staff, User.objects.get(username="staff"))
    assert "Зарегистрировать клиента" not in page_of(staff.get(reverse("admin:accounts_user_changelist")))
    assert staff.get(reverse("admin:accounts_user_register_customer")).status_code == 404

    rosseti = tenant_client(demo_tenants["rosseti"])
    assert "Вас зарегистрировал сотрудник?" in page_of(rosseti.get("/accounts/signup/"))
    page = page_of(rosseti.get("/accounts/signup/continue/"))
    assert "код из SMS" in page and "Код из SMS" in page and "пароль из SMS" not in page
    assert 'href="tel:88007004070"' in page  # the support phone, for an expired code


def staff_made_customer(tenant):
    with tenant_scope(tenant):
        return registration.registration_by_staff(tenant=tenant, email="sidor@example.com", phone="+79003332211",
                                              last_name="Сидоров", first_name="Сидор")


def test_the_staff_made_customers_sms_says_where_to_enter_the_code(demo_tenants, outbox, django_capture_on_commit_callbacks):
    rosseti = demo_tenants["rosseti"]
    with django_capture_on_commit_callbacks(execute=True):
        staff_made_customer(rosseti)
    text = outbox.messages("+79003332211")[0].text
    assert "Код из SMS:" in text and "действует 5 мин." in text
    assert re.search(r"https?://rosseti\.localhost(:\d+)?/accounts/signup/continue/", text), text


def test_a_self_registrations_sms_is_unchanged(demo_tenants, tenant_client, outbox):
    client = tenant_client(demo_tenants["rosseti"])
    with tenant_scope(demo_tenants["rosseti"]):
        consents = {f"consent_{d.pk}": "on" for d in ConsentDocument.objects.filter(moment="signup", required=True)}
    client.post("/accounts/signup/", {"last_name": "П", "first_name": "П", "email": "p@example.com",
                                      "phone": "+79005554433", **consents})
    text = outbox.messages("+79005554433")[0].text
    assert "код подтверждения" in text and "/accounts/signup/continue/" not in text


def test_staff_send_an_expired_customer_a_new_code(demo_tenants, tenant_client, admin_login, outbox,
                                                    django_capture_on_commit_callbacks):
    rosseti = demo_tenants["rosseti"]
    with django_capture_on_commit_callbacks(execute=True):
        customer = staff_made_customer(rosseti)
    first = outbox.last_code("+79003332211")
    staff = tenant_client(rosseti)
    with tenant_scope(rosseti):
        admin_login(staff, User.objects.get(username="staff"))
    changelist = reverse("admin:accounts_user_changelist")
    action = {"action": "send_new_staff_code", "_selected_action": [customer.pk]}
    page = page_of(staff.post(changelist, action, follow=True))
    assert "Код недавно отправлен, повторить пока нельзя: +79003332211" in page

    with tenant_scope(rosseti):  # the code's five minutes have passed
        Confirmation.objects.filter(user=customer).update(created_at=F("created_at") - timedelta(minutes=6),
                                                          code_expires_at=F("created_at"))
    page = page_of(staff.post(changelist, action, follow=True))
    assert "Новый код отправлен по SMS: +79003332211" in page
    second = outbox.last_code("+79003332211")
    assert second != first
    customer_client = tenant_client(rosseti)
    response = customer_client.post("/accounts/signup/continue/", {"phone": "+79003332211", "code": second})
    assert response.status_code == 302 and response.url == reverse("accounts:signup_step")


# 10. Passwords


def test_a_broken_rule_is_named_not_repeated(demo_tenants):
    mef = demo_tenants["mef"].policy
    assert password_rule_errors("abcdefgh", mef) == [
        "Добавьте в пароль заглавную и строчную латинские буквы.", "Добавьте в пароль цифру."]
    assert password_rule_errors("Ab1", mef) == ["Пароль слишком короткий: нужно не меньше 8 символов."]
    assert password_rule_errors("Пароль12", mef)[0].startswith("В пароле есть недопустимые символы")
    assert password_rule_errors("Abcdefg1", mef) == []
    hint = describe_password_rule(mef)
    assert "распространённые пароли" in hint
    for error in password_rule_errors("abc", mef):
        assert error not in hint


@pytest.mark.parametrize(("slug", "password"), [("mef", "Passw0rd1"), ("gaz", "abc12345"), ("mygaz", "abc12345")])
def test_a_common_password_is_refused_in_plain_words(demo_tenants, slug, password):
    tenant = demo_tenants[slug]
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user=User(tenant=tenant))
    assert refused.value.messages == ["Этот пароль слишком распространён: его легко подобрать. Придумайте другой."]


def test_a_wrong_current_password_is_called_wrong(demo_tenants, tenant_client):
    gaz = demo_tenants["gaz"]
    with tenant_scope(gaz):
        User.objects.create_user(tenant=gaz, username="p@example.com", email="p@example.com", password="abc12")
    client = tenant_client(gaz)
    client.post("/accounts/login/", {"login": "p@example.com", "password": "abc12"})
    page = page_of(client.post("/accounts/password/change/", {
        "oldpassword": "wrong1", "password1": "xyz789", "password2": "xyz789"}))
    assert "Текущий пароль введён неверно." in page and "Пожалуйста" not in page
    assert "Повторите пароль" in page and "(ещё раз)" not in page and "placeholder" not in page
    assert 'id="error-summary"' in page


# 11. The "not activated" page


def test_the_not_activated_page_resends_only_to_who_knew_the_password(demo_tenants, tenant_client, outbox):
    mef = demo_tenants["mef"]
    with tenant_scope(mef):
        user = User.objects.create_user(tenant=mef, username="o@example.com", email="o@example.com",
                                        password="Secret123x", is_active=False)
        user.activation_deadline = user.date_joined + timedelta(hours=72)
        user.save()
        services.consents_record(user=user, documents=ConsentDocument.objects.filter(moment="signup"),
                                 client=services.ClientInfo(ip_address=None, user_agent="test"))
    stranger = tenant_client(mef)
    assert stranger.post("/accounts/activate/resend/").url == reverse("account_login")
    assert "Выслать ссылку ещё раз" not in page_of(stranger.get("/accounts/inactive/"))
    assert outbox.messages("o@example.com") == []

    owner = tenant_client(mef)
    response = owner.post("/accounts/login/", {"login": "o@example.com", "password": "Secret123x"})
    assert response.url == reverse("account_inactive")
    assert "Выслать ссылку ещё раз" in page_of(owner.get(response.url))
    assert owner.post("/accounts/activate/resend/").url == reverse("account_inactive")
    assert outbox.last_link("o@example.com")


# 12. The admin's user page for tenant staff


def test_the_admin_user_page_speaks_to_tenant_staff(demo_tenants, tenant_client, admin_login):
    rosseti = demo_tenants["rosseti"]
    staff = tenant_client(rosseti)
    with tenant_scope(rosseti):
        staff_user = User.objects.get(username="staff")
        admin_login(staff, staff_user)
        customer = User.objects.create_user(tenant=rosseti, username="c@example.com", email="c@example.com",
                                            password="long-enough-password")
    page = page_of(staff.get(reverse("admin:accounts_user_change", args=[customer.pk])))
    assert "суперпользователь платформы" not in page
    assert 'aria-label="Активировать до: дата"' in page and 'aria-label="Активировать до: время"' in page
    page = page_of(staff.get(reverse("admin:accounts_user_add")))
    assert "суперпользователь платформы" not in page


def test_the_platform_admin_keeps_the_superuser_hint(demo_tenants, tenant_client, admin_login):
    client = tenant_client(None)
    with tenant_scope(None):
        admin_login(client, User.objects.get(username="admin"))
    assert "суперпользователь платформы" in page_of(client.get(reverse("admin:accounts_user_add")))
