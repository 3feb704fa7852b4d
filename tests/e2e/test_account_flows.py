"""Each tenant's account flows, walked in Chromium as a person would: codes and links are
read from the development outbox page (/dev/outbox/), as the README tells a visitor."""

import re

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from accounts.models import User
from portal import demo
from portal.models import Tenant
from portal.scoping import tenant_scope


@pytest.fixture(autouse=True)
def _captcha_test_mode(monkeypatch):
    monkeypatch.setattr("captcha.conf.settings.CAPTCHA_TEST_MODE", True)  # "PASSED" passes


@pytest.fixture
def outbox_page(browser, portal):
    """newest(slug) → the text of the newest message on that tenant's outbox page."""
    context = browser.new_context()
    page = context.new_page()

    def newest(slug):
        page.goto(portal.url(slug, "/dev/outbox/"))
        return page.locator(".outbox-message__text").first.inner_text()

    yield newest
    context.close()


def code_in(text):
    return re.search(r"\b(\d{6})\b", text).group(1)


def path_in(text, prefix):
    return re.search(r"https?://[^/\s]+(" + re.escape(prefix) + r"\S+)", text).group(1)


def make_user(slug, **fields):
    tenant = Tenant.objects.get(slug=slug)
    with tenant_scope(tenant):
        return User.objects.create_user(tenant=tenant, **fields)


def log_in(page, portal, slug, login, password, label="E-mail"):
    page.goto(portal.url(slug, "/accounts/login/"))
    page.get_by_label(label, exact=True).fill(login)
    page.get_by_label("Пароль", exact=True).fill(password)
    page.get_by_role("button", name="Войти").click()


def tick_consents(page):
    for box in page.locator("fieldset.consents input[type=checkbox]").all():
        box.check()


def test_gaz_register_log_in_unconfirmed_resend_and_activate(portal, page, outbox_page):
    page.goto(portal.url("gaz"))
    page.get_by_role("navigation").get_by_role("link", name="Регистрация").click()
    page.get_by_label("E-mail (логин)").fill("ivan@example.com")
    page.get_by_label("Пароль", exact=True).fill("abc12")
    page.get_by_label("Повторите пароль").fill("abc12")
    page.get_by_label("Введите текст с картинки").fill("PASSED")
    tick_consents(page)
    page.get_by_role("button", name="Зарегистрироваться").click()
    expect(page.get_by_role("main")).to_contain_text("Мы отправили письмо на ivan@example.com")

    log_in(page, portal, "gaz", "ivan@example.com", "abc12")
    expect(page.locator(".notice")).to_contain_text("Подтвердите e-mail ivan@example.com")
    page.get_by_role("button", name="Выслать ссылку").click()
    expect(page.get_by_role("main")).to_contain_text("Письмо уже отправлено")  # the policy's cooldown

    page.goto(portal.url("gaz", path_in(outbox_page("gaz"), "/accounts/activate/")))
    page.get_by_role("button", name="Активировать").click()
    expect(page.get_by_role("main")).not_to_contain_text("Подтвердите e-mail")


def test_mef_register_with_captcha_refresh_then_activate_by_link(portal, page, outbox_page):
    page.goto(portal.url("mef", "/accounts/signup/"))
    for label, value in (("Фамилия", "Иванов"), ("Имя", "Иван"), ("Отчество", "Иванович"),
                         ("E-mail (логин)", "ivan@example.com"), ("Телефон", "+7 900 123-45-67")):
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("Пароль", exact=True).fill("Secret123x")
    page.get_by_label("Повторите пароль").fill("Secret123x")
    image = page.locator("img.captcha")
    before = image.get_attribute("src")
    page.get_by_role("button", name="Обновить картинку").click()
    expect(image).not_to_have_attribute("src", before)
    page.get_by_label("Введите текст с картинки").fill("PASSED")
    tick_consents(page)
    page.get_by_role("button", name="Зарегистрироваться").click()
    expect(page.get_by_role("main")).to_contain_text("Ссылка действительна 72 ч.")

    log_in(page, portal, "mef", "ivan@example.com", "Secret123x")
    expect(page.get_by_role("heading", level=1)).to_have_text("Личный кабинет не активирован")

    page.goto(portal.url("mef", path_in(outbox_page("mef"), "/accounts/activate/")))
    page.get_by_role("button", name="Активировать").click()
    log_in(page, portal, "mef", "ivan@example.com", "Secret123x")
    expect(page.get_by_role("main")).to_contain_text("Вы вошли как")


def test_rosseti_sms_code_password_then_activation_link(portal, page, outbox_page):
    page.goto(portal.url("rosseti", "/accounts/signup/"))
    page.get_by_label("Фамилия").fill("Петров")
    page.get_by_label("Имя", exact=True).fill("Пётр")
    page.get_by_label("E-mail (логин)").fill("petr@example.com")
    page.get_by_label("Телефон").fill("8 900 555 44 33")
    page.get_by_label(re.compile("152-ФЗ")).check()
    page.get_by_label(re.compile("на обработку моих персональных данных")).check()
    page.get_by_role("button", name="Продолжить регистрацию").click()
    expect(page.get_by_role("main")).to_contain_text("Мы отправили SMS с кодом на номер +7 900 ***-**-33")
    expect(page.get_by_role("button", name="Отправить ещё раз?")).to_be_disabled()

    page.get_by_label("Код подтверждения").fill(code_in(outbox_page("rosseti")))
    page.get_by_role("button", name="Подтвердить").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Придумайте пароль")
    page.get_by_label("Новый пароль").fill("Long-enough-passphrase-1")
    page.get_by_label("Повторите пароль").fill("Long-enough-passphrase-1")
    page.get_by_role("button", name="Сохранить пароль").click()
    expect(page.get_by_role("main")).to_contain_text("Мы отправили письмо на petr@example.com")

    page.goto(portal.url("rosseti", path_in(outbox_page("rosseti"), "/accounts/activate/")))
    page.get_by_role("button", name="Активировать").click()
    log_in(page, portal, "rosseti", "petr@example.com", "Long-enough-passphrase-1")
    expect(page.get_by_role("main")).to_contain_text("Вы вошли как")


def test_rgmek_registry_errors_then_code_and_generated_login(portal, page, outbox_page):
    page.goto(portal.url("rgmek", "/accounts/signup/"))

    def fill(contract, contact):
        page.get_by_label("ИНН").fill("6229001125")
        page.get_by_label("№ договора").fill(contract)
        page.get_by_label("Пароль", exact=True).fill("secret-a1")
        page.get_by_label("Повторите пароль").fill("secret-a1")
        page.get_by_label("E-mail или телефон, указанные в договоре").fill(contact)
        tick_consents(page)
        page.get_by_role("button", name="Зарегистрироваться").click()

    fill("9999", "buh@hleb.example")
    expect(page.get_by_role("alert").first).to_contain_text("Ошибка регистрации! Контрагент не найден!")
    fill("1001", "someone@else.example")
    expect(page.get_by_role("alert").first).to_contain_text("Ошибка регистрации! Телефон (email) не найден!")
    fill("1002", "+7 900 111-00-01")
    expect(page.get_by_role("main")).to_contain_text("Код действует 10 мин.")
    page.get_by_label("Код подтверждения").fill(code_in(outbox_page("rgmek")))
    page.get_by_role("button", name="Подтвердить").click()
    expect(page.locator(".generated-login")).to_have_text("6229001125-1002")
    expect(page.get_by_role("main")).to_contain_text("сохраните логин")

    log_in(page, portal, "rgmek", "6229001125-1002", "secret-a1", label="Логин")
    expect(page.get_by_role("main")).to_contain_text("Договор № 1001")
    expect(page.get_by_role("main")).to_contain_text("Договор № 1002")


def test_mygaz_phone_registration_then_consent_before_anything(portal, page, outbox_page):
    page.goto(portal.url("mygaz", "/accounts/signup/"))
    page.get_by_label("Логин (телефон или e-mail)").fill("+7 900 777-66-55")
    page.get_by_label("Пароль", exact=True).fill("gas123")
    page.get_by_label("Повторите пароль").fill("gas123")
    page.get_by_role("button", name="Зарегистрироваться").click()
    page.get_by_label("Код подтверждения").fill(code_in(outbox_page("mygaz")))
    page.get_by_role("button", name="Подтвердить").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Регистрация завершена")

    log_in(page, portal, "mygaz", "89007776655", "gas123", label="Телефон или e-mail")
    expect(page.get_by_role("heading", level=1)).to_have_text("Согласия")
    page.goto(portal.url("mygaz", "/support/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Согласия")  # nothing else first
    page.get_by_label(re.compile("персональных данных")).check()
    page.get_by_role("button", name="Подписать согласие").click()
    expect(page.get_by_role("main")).to_contain_text("Согласие подписано")
    page.goto(portal.url("mygaz", "/support/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Поддержка")


def test_mygaz_email_registration_by_the_code_in_the_letter(portal, page, outbox_page):
    page.goto(portal.url("mygaz", "/accounts/signup/"))
    page.get_by_label("Логин (телефон или e-mail)").fill("gas@example.com")
    page.get_by_label("Пароль", exact=True).fill("gas123")
    page.get_by_label("Повторите пароль").fill("gas123")
    page.get_by_role("button", name="Зарегистрироваться").click()
    letter = outbox_page("mygaz")
    assert "/accounts/activate/" in letter
    page.get_by_label("Код подтверждения").fill(code_in(letter))
    page.get_by_role("button", name="Подтвердить").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Регистрация завершена")


def test_recovery_by_link_mef(portal, page, outbox_page):
    make_user("mef", username="ivan@example.com", email="ivan@example.com", password="OldSecret1")
    page.goto(portal.url("mef", "/accounts/login/"))
    page.get_by_role("link", name="Забыли пароль?").click()
    page.get_by_label("E-mail").fill("ivan@example.com")
    page.get_by_role("button", name="Получить код").click()
    page.goto(portal.url("mef", path_in(outbox_page("mef"), "/accounts/password/reset/key/")))
    page.get_by_label("Новый пароль").fill("NewSecret2")
    page.get_by_label("Повторите пароль").fill("NewSecret2")
    page.get_by_role("button", name="Сменить пароль").click()
    expect(page.get_by_role("main")).to_contain_text("Пароль изменён")
    log_in(page, portal, "mef", "ivan@example.com", "NewSecret2")
    expect(page.get_by_role("main")).to_contain_text("Вы вошли как")


def test_recovery_by_sms_code_mygaz(portal, page, outbox_page):
    make_user("mygaz", username="+79007776655", phone="+79007776655", password="gas123")
    page.goto(portal.url("mygaz", "/accounts/password/reset/"))
    page.get_by_label("Телефон или e-mail").fill("+7 900 777-66-55")
    page.get_by_role("button", name="Получить код").click()
    page.get_by_label("Код подтверждения").fill(code_in(outbox_page("mygaz")))
    page.get_by_label("Новый пароль").fill("gas456")
    page.get_by_label("Повторите пароль").fill("gas456")
    page.get_by_role("button", name="Сменить пароль").click()
    expect(page.get_by_role("main")).to_contain_text("Пароль изменён")


def test_recovery_repeats_registration_rgmek(portal, page, outbox_page):
    from billing.models import Counterparty

    user = make_user("rgmek", username="6229001125-1001", email="buh@hleb.example", password="old-pass1")
    with tenant_scope(user.tenant):
        Counterparty.objects.filter(inn="6229001125").update(account=user)
    page.goto(portal.url("rgmek", "/accounts/password/reset/"))
    page.get_by_label("ИНН").fill("6229001125")
    page.get_by_label("№ договора").fill("1001")
    page.get_by_label("Новый пароль").fill("new-pass1")
    page.get_by_label("Повторите пароль").fill("new-pass1")
    page.get_by_label("E-mail или телефон, указанные в договоре").fill("buh@hleb.example")
    page.get_by_role("button", name="Изменить пароль").click()
    page.get_by_label("Код подтверждения").fill(code_in(outbox_page("rgmek")))
    page.get_by_role("button", name="Сменить пароль").click()
    log_in(page, portal, "rgmek", "6229001125-1001", "new-pass1", label="Логин")
    expect(page.get_by_role("main")).to_contain_text("Вы вошли как 6229001125-1001")


def test_password_change_and_logout_gaz(portal, page):
    make_user("gaz", username="ivan@example.com", email="ivan@example.com", password="abc12")
    log_in(page, portal, "gaz", "ivan@example.com", "abc12")
    page.get_by_role("navigation").get_by_role("link", name="Смена пароля").click()
    inputs = page.locator("main form input[type=password]")
    inputs.nth(0).fill("abc12")
    inputs.nth(1).fill("xyz34")
    inputs.nth(2).fill("xyz34")
    page.get_by_role("button", name="Изменить пароль").click()
    page.get_by_role("button", name="Выход").click()
    log_in(page, portal, "gaz", "ivan@example.com", "xyz34")
    expect(page.get_by_role("main")).to_contain_text("Вы вошли как")


def test_staff_log_in_to_the_admin_with_a_totp_code(portal, page):
    page.goto(portal.url("rosseti", "/admin/"))
    page.get_by_label("Логин:").fill(demo.STAFF_USERNAME)
    page.get_by_label("Пароль:").fill(demo.STAFF_PASSWORD)
    page.get_by_label("Код из приложения:").fill(f"{totp(bytes.fromhex(demo.OTP_DEMO_KEY)):06d}")
    page.get_by_role("button", name="Войти").click()
    expect(page.locator("#site-name")).to_contain_text("Россети Московский регион")
    page.goto(portal.url("rosseti", "/admin/accounts/user/"))
    expect(page.get_by_role("link", name="Зарегистрировать клиента")).to_be_visible()
