"""Registration, activation, recovery, password change and logout, walked in Chromium as a
person would: by labels and roles, reading codes and links from the dev outbox page.

The same flows are checked with Django's test client in accounts/tests/test_registration.py;
here they go through the real pages, the show-password/captcha/countdown script included.
"""

import re
from datetime import timedelta

import pytest
from django.db.models import F
from playwright.sync_api import expect

from accounts.models import Confirmation
from billing.models import Counterparty
from portal.scoping import tenant_scope

from .browser import (
    CONSENT_LABELS,
    activate_by_link,
    code_in,
    enter_code,
    expect_signed_in_as,
    fill_passwords,
    fill_rgmek_form,
    link_in,
    log_in,
    make_user,
    newest_message,
    staff_log_in,
    tenant,
    tick_consents,
)

# The captcha takes "PASSED" (the root conftest's captcha_passes).
pytestmark = pytest.mark.usefixtures("captcha_passes")


# What a person does: read the outbox, log in, tick consents.


def log_out(page):
    page.get_by_role("navigation", name="Главное меню").get_by_role("button", name="Выход").click()
    expect(page.get_by_role("navigation", name="Главное меню").get_by_role("link", name="Вход")).to_be_visible()


# 1. gaz: e-mail + captcha; may log in before activation and ask for the link again.


def test_gaz_registers_logs_in_before_activation_and_activates_by_a_resent_link(portal, page):
    email = "ivan@example.com"
    page.goto(portal.url("gaz"))
    page.get_by_role("navigation", name="Главное меню").get_by_role("link", name="Регистрация").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Регистрация в личном кабинете")
    page.get_by_label("E-mail (логин)").fill("Ivan@Example.com")
    fill_passwords(page, "abc12")
    page.get_by_label("Введите текст с картинки").fill("PASSED")
    tick_consents(page, "gaz")
    page.get_by_role("button", name="Зарегистрироваться").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Подтверждение регистрации")
    expect(page.get_by_role("main")).to_contain_text(f"Мы отправили письмо на {email}")
    first_link = link_in(newest_message(page, portal, "gaz", email), "gaz", "/accounts/activate/")

    log_in(page, portal, "gaz", email, "abc12")
    expect_signed_in_as(page, email)
    expect(page.get_by_role("main")).to_contain_text(f"Подтвердите e-mail {email}")
    page.get_by_role("button", name="Выслать ссылку").click()
    expect(page.locator(".messages")).to_contain_text("Письмо уже отправлено. Повторить можно через")

    # A minute passes: the policy's resend cooldown is over.
    with tenant_scope(tenant("gaz")):
        Confirmation.objects.filter(user__email=email).update(created_at=F("created_at") - timedelta(seconds=61))
    page.get_by_role("button", name="Выслать ссылку").click()
    expect(page.locator(".messages")).to_contain_text(f"Мы отправили ссылку для подтверждения на {email}")
    link = link_in(newest_message(page, portal, "gaz", email), "gaz", "/accounts/activate/")
    assert link != first_link

    activate_by_link(page, link, email)
    expect_signed_in_as(page, email)
    expect(page.get_by_role("button", name="Выслать ссылку")).to_have_count(0)

    page.goto(first_link)
    expect(page.get_by_role("alert")).to_contain_text("заменена более новой")

    log_out(page)
    log_in(page, portal, "gaz", email, "abc12")
    expect_signed_in_as(page, email)
    expect(page.get_by_role("main")).not_to_contain_text("Подтвердите e-mail")
    expect(page.get_by_role("button", name="Выслать ссылку")).to_have_count(0)


# 2. mef: full name, phone, captcha with «Обновить картинку»; no login before activation.


def test_mef_registers_with_a_refreshed_captcha_and_logs_in_only_after_activation(portal, page):
    email = "ivan@example.com"
    page.goto(portal.url("mef", "/accounts/signup/"))
    captcha = page.get_by_role("img", name="Проверочный код: латинские буквы на картинке")
    first_src = captcha.get_attribute("src")
    page.get_by_role("button", name="Обновить картинку").click()
    expect(captcha).not_to_have_attribute("src", first_src)
    expect(captcha).to_have_attribute("src", re.compile(r"^/captcha/image/\w+/$"))

    page.get_by_label("Фамилия").fill("Иванов")
    page.get_by_label("Имя", exact=True).fill("Иван")
    page.get_by_label("Отчество").fill("Иванович")
    page.get_by_label("E-mail (логин)").fill(email)
    page.get_by_label("Телефон").fill("8 (900) 123-45-67")
    fill_passwords(page, "Secret123x")
    page.get_by_role("button", name="Показать").first.click()
    expect(page.get_by_label("Пароль", exact=True)).to_have_attribute("type", "text")
    page.get_by_label("Введите текст с картинки").fill("PASSED")
    tick_consents(page, "mef")
    page.get_by_role("button", name="Зарегистрироваться").click()
    expect(page.get_by_role("main")).to_contain_text(f"Мы отправили письмо на {email}")

    log_in(page, portal, "mef", email, "Secret123x")
    expect(page.get_by_role("heading", level=1)).to_have_text("Личный кабинет не активирован")

    activate_by_link(page, link_in(newest_message(page, portal, "mef", email), "mef", "/accounts/activate/"), email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Вход в личный кабинет")
    log_in(page, portal, "mef", email, "Secret123x")
    expect_signed_in_as(page, email)


# 3. rosseti: SMS code first, then the password, then the e-mailed link.


def test_rosseti_confirms_the_phone_then_sets_a_password_then_activates_by_link(portal, page):
    email, phone = "petr@example.com", "+79005554433"
    page.goto(portal.url("rosseti", "/accounts/signup/"))
    page.get_by_label("Фамилия").fill("Петров")
    page.get_by_label("Имя", exact=True).fill("Пётр")
    page.get_by_label("E-mail (логин)").fill(email)
    page.get_by_label("Телефон").fill("+7 900 555-44-33")
    tick_consents(page, "rosseti", kinds={"personal_data_law", "personal_data"})
    expect(page.get_by_label(CONSENT_LABELS["rosseti"]["marketing"])).not_to_be_checked()
    page.get_by_role("button", name="Продолжить регистрацию").click()

    expect(page.get_by_role("main")).to_contain_text("Мы отправили SMS с кодом на номер")
    resend = page.get_by_role("button", name="Отправить ещё раз?")
    expect(resend).to_be_disabled()
    expect(page.locator("form.resend")).to_have_attribute("data-resend-in", "60")
    expect(page.locator(".resend__seconds")).to_have_text(re.compile(r"^5\d$"))  # the countdown runs

    enter_code(page, code_in(newest_message(page, portal, "rosseti", phone)))
    expect(page.get_by_role("heading", level=1)).to_have_text("Придумайте пароль")
    fill_passwords(page, "Very-long-passphrase-1", first="Новый пароль")
    page.get_by_role("button", name="Сохранить пароль").click()
    expect(page.get_by_role("main")).to_contain_text(f"Мы отправили письмо на {email}")

    link = link_in(newest_message(page, portal, "rosseti", email), "rosseti", "/accounts/activate/")
    activate_by_link(page, link, email)
    log_in(page, portal, "rosseti", email, "Very-long-passphrase-1")
    expect_signed_in_as(page, email)

    page.get_by_role("navigation", name="Главное меню").get_by_role("link", name="Профиль").click()
    page.get_by_role("main").get_by_role("link", name="Согласия").click()
    consents = page.get_by_role("main")
    expect(consents).to_contain_text("Согласие на обработку персональных данных")
    expect(consents).to_contain_text("Ознакомление с Федеральным законом № 152-ФЗ")
    # The declined optional consent is offered, not accepted; it can be given now.
    give = consents.get_by_role("button", name=CONSENT_LABELS["rosseti"]["marketing"])
    give.click()
    expect(page.get_by_role("status")).to_contain_text("Согласие дано.")
    expect(page.get_by_role("button", name="Отозвать согласие")).to_be_visible()


# 4. rgmek: INN + contract + a contact from the contract; the generated login is shown once.


def test_rgmek_registers_by_contract_and_logs_in_with_the_generated_login(portal, page):
    page.goto(portal.url("rgmek", "/accounts/signup/"))
    fill_rgmek_form(page, contract="1002", contact="+7 900 111-00-01")
    tick_consents(page, "rgmek")
    page.get_by_role("button", name="Зарегистрироваться").click()
    expect(page.get_by_role("main")).to_contain_text("Код действует 10 мин.")

    enter_code(page, code_in(newest_message(page, portal, "rgmek", "+79001110001")))
    expect(page.get_by_role("heading", level=1)).to_have_text("Регистрация завершена")
    main = page.get_by_role("main")
    expect(main).to_contain_text("Ваш логин для входа: 6229001125-1002")
    expect(main).to_contain_text("сохраните логин на вашем устройстве или запишите его")
    expect(main).to_contain_text("не подлежит изменению")
    page.reload()
    expect(page.get_by_role("main")).not_to_contain_text("6229001125-1002")  # shown once

    log_in(page, portal, "rgmek", "6229001125-1002", "secret-a1")
    expect_signed_in_as(page, "6229001125-1002")
    expect(page.get_by_role("main")).to_contain_text("Договор № 1001")
    expect(page.get_by_role("main")).to_contain_text("Договор № 1002")


def test_rgmek_registry_errors_are_the_guides_words(portal, page):
    page.goto(portal.url("rgmek", "/accounts/signup/"))
    fill_rgmek_form(page, contract="9999", contact="buh@hleb.example")
    tick_consents(page, "rgmek")
    page.get_by_role("button", name="Зарегистрироваться").click()
    expect(page.get_by_role("alert")).to_have_text("Ошибка регистрации! Контрагент не найден!")

    fill_rgmek_form(page, contract="1001", contact="someone@else.example")
    tick_consents(page, "rgmek")
    page.get_by_role("button", name="Зарегистрироваться").click()
    expect(page.get_by_role("alert")).to_have_text("Ошибка регистрации! Телефон (email) не найден!")


# 5. mygaz: a phone or an e-mail is the login; the consent is signed after the first login.


def sign_first_login_consent(page):
    expect(page.get_by_role("heading", level=1)).to_have_text("Согласия")
    page.get_by_label("Я даю согласие ООО «Газпром межрегионгаз» на обработку моих персональных данных").check()
    page.get_by_role("button", name="Подписать согласие").click()
    expect(page.get_by_role("status")).to_contain_text("Согласие подписано")
    expect(page.get_by_role("heading", level=1)).to_have_text("Личный кабинет Мой ГАЗ")


def test_mygaz_registers_by_phone_and_signs_the_consent_after_the_first_login(portal, page):
    page.goto(portal.url("mygaz", "/accounts/signup/"))
    page.get_by_label("Логин (телефон или e-mail)").fill("8 900 777-66-55")
    fill_passwords(page, "gas123")
    page.get_by_role("button", name="Зарегистрироваться").click()
    expect(page.get_by_role("main")).to_contain_text("Мы отправили SMS с кодом на номер")

    enter_code(page, code_in(newest_message(page, portal, "mygaz", "+79007776655")))
    expect(page.get_by_role("heading", level=1)).to_have_text("Регистрация завершена")

    log_in(page, portal, "mygaz", "+7 900 777 66 55", "gas123")
    expect(page).to_have_url(portal.url("mygaz", "/accounts/consents/"))
    page.goto(portal.url("mygaz", "/support/"))  # nothing else opens before the consent
    sign_first_login_consent(page)
    expect_signed_in_as(page, "+79007776655")


def test_mygaz_registers_by_email_with_the_code_from_the_letter(portal, page):
    email = "gas@example.com"
    page.goto(portal.url("mygaz", "/accounts/signup/"))
    page.get_by_label("Логин (телефон или e-mail)").fill(email)
    fill_passwords(page, "gas123")
    page.get_by_role("button", name="Зарегистрироваться").click()
    expect(page.get_by_role("main")).to_contain_text(f"Мы отправили письмо на {email}")
    expect(page.get_by_role("main")).to_contain_text("или введите код из него")

    letter = newest_message(page, portal, "mygaz", email)
    assert "Код подтверждения" in letter
    link_in(letter, "mygaz", "/accounts/activate/")  # the link is there too
    enter_code(page, code_in(letter))
    expect(page.get_by_role("heading", level=1)).to_have_text("Регистрация завершена")

    log_in(page, portal, "mygaz", email, "gas123")
    sign_first_login_consent(page)
    expect_signed_in_as(page, email)


# 6. Recovery: by link (mef), by SMS code (mygaz), by the registration-like form (rgmek).


def test_mef_recovers_the_password_by_the_mailed_link(portal, page):
    email = "olga@example.com"
    make_user("mef", username=email, email=email, phone="+79001234501", password="OldSecret1")
    page.goto(portal.url("mef", "/accounts/login/"))
    page.get_by_role("link", name="Забыли пароль?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Восстановление пароля")
    page.get_by_label("E-mail").fill(email)
    page.get_by_role("button", name="Получить код").click()
    expect(page.get_by_role("main")).to_contain_text("мы отправили код на его телефон или e-mail")

    page.goto(link_in(newest_message(page, portal, "mef", email), "mef", "/accounts/password/reset/key/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Новый пароль")
    fill_passwords(page, "NewSecret2", first="Новый пароль")
    page.get_by_role("button", name="Сменить пароль").click()
    expect(page.get_by_role("status")).to_contain_text("Пароль изменён. Войдите с новым паролем.")

    log_in(page, portal, "mef", email, "OldSecret1")
    expect(page.get_by_role("alert")).to_contain_text("неверн")
    log_in(page, portal, "mef", email, "NewSecret2")
    expect_signed_in_as(page, email)


def test_mygaz_recovers_the_password_by_an_sms_code(portal, page):
    phone = "+79001234502"
    make_user("mygaz", username=phone, phone=phone, password="old123")
    page.goto(portal.url("mygaz", "/accounts/login/"))
    page.get_by_role("link", name="Забыли пароль?").click()
    page.get_by_label("Телефон или e-mail").fill("8 900 123-45-02")
    page.get_by_role("button", name="Получить код").click()
    expect(page.get_by_role("main")).to_contain_text("Введите код и новый пароль")

    page.get_by_label("Код подтверждения").fill(code_in(newest_message(page, portal, "mygaz", phone)))
    fill_passwords(page, "new456", first="Новый пароль")
    page.get_by_role("button", name="Сменить пароль").click()
    expect(page.get_by_role("status")).to_contain_text("Пароль изменён. Войдите с новым паролем.")

    log_in(page, portal, "mygaz", phone, "new456")
    sign_first_login_consent(page)
    expect_signed_in_as(page, phone)


def test_rgmek_recovers_the_password_with_the_registration_form(portal, page):
    login = "6229001125-1001"
    user = make_user("rgmek", username=login, phone="+79001110001", password="secret-a1", login_is_generated=True)
    with tenant_scope(tenant("rgmek")):
        Counterparty.objects.filter(inn="6229001125").update(account=user)

    page.goto(portal.url("rgmek", "/accounts/login/"))
    page.get_by_role("link", name="Забыли пароль?").click()
    expect(page.get_by_role("main")).to_contain_text("Укажите данные договора и новый пароль")
    fill_rgmek_form(page, contract="1001", contact="8 900 111-00-01", password="changed-b2", first="Новый пароль")
    page.get_by_role("button", name="Изменить пароль").click()

    expect(page.get_by_role("main")).to_contain_text("Введите код.")  # the new password is on the form already
    page.get_by_label("Код подтверждения").fill(code_in(newest_message(page, portal, "rgmek", "+79001110001")))
    page.get_by_role("button", name="Сменить пароль").click()
    expect(page.get_by_role("status")).to_contain_text("Пароль изменён. Войдите с новым паролем.")

    log_in(page, portal, "rgmek", login, "changed-b2")
    expect_signed_in_as(page, login)
    expect(page.get_by_role("main")).to_contain_text("Договор № 1001")


# 7. Password change (allauth's page, in Russian). 8. Logout.


def test_gaz_changes_the_password_from_the_menu(portal, page):
    email = "pavel@example.com"
    make_user("gaz", username=email, email=email, password="abc12")
    log_in(page, portal, "gaz", email, "abc12")
    expect_signed_in_as(page, email)

    page.get_by_role("navigation", name="Главное меню").get_by_role("link", name="Профиль").click()
    page.get_by_role("main").get_by_role("link", name="Смена пароля").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Смена пароля")
    page.get_by_label("Текущий пароль").fill("abc12")
    page.get_by_label("Новый пароль", exact=True).fill("xyz789")
    page.get_by_label("Повторите пароль", exact=True).fill("xyz789")
    page.get_by_role("button", name="Изменить пароль").click()
    expect(page.get_by_role("status")).to_contain_text("Пароль успешно изменён.")
    expect(page.get_by_role("button", name="Выход")).to_be_visible()  # this session stays

    log_out(page)
    log_in(page, portal, "gaz", email, "abc12")
    expect(page.get_by_role("alert")).to_contain_text("неверн")
    log_in(page, portal, "gaz", email, "xyz789")
    expect_signed_in_as(page, email)


def test_logout_by_the_button_in_the_menu(portal, page):
    email = "anna@example.com"
    make_user("rosseti", username=email, email=email, password="long-enough-password")
    log_in(page, portal, "rosseti", email, "long-enough-password")
    expect_signed_in_as(page, email)

    log_out(page)
    menu = page.get_by_role("navigation", name="Главное меню")
    expect(menu.get_by_role("link")).to_have_text(["Главная", "Поддержка", "Вход", "Регистрация"])
    expect(page.get_by_role("button", name="Выход")).to_have_count(0)
    page.goto(portal.url("rosseti", "/accounts/consents/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Вход в личный кабинет")


# Staff (kept from the earlier version of this file): the admin asks for a TOTP code.


def test_a_customer_registered_by_staff_gives_the_consents_and_finishes(portal, browser, page):
    staff_log_in(page, portal, "rosseti")
    page.goto(portal.url("rosseti", "/admin/accounts/user/"))
    page.get_by_role("link", name="Зарегистрировать клиента").click()
    page.get_by_label("Фамилия").fill("Сидоров")
    page.get_by_label("Имя").fill("Сидор")
    page.get_by_label("E-mail (логин)").fill("sidor@example.com")
    page.get_by_label("Мобильный телефон").fill("+7 900 333-22-11")
    page.get_by_role("button", name="Зарегистрировать").click()
    # The operator lands on what happens next (issue 24), not the user form.
    expect(page.get_by_role("heading", level=1)).to_have_text("Клиент зарегистрирован: что дальше")
    expect(page.locator("#content")).to_contain_text("SMS с кодом на номер +79003332211")

    customer = browser.new_context(locale="ru-RU", viewport={"width": 360, "height": 780}).new_page()
    customer.goto(portal.url("rosseti", "/accounts/signup/"))
    customer.get_by_role("link", name="Вас зарегистрировал сотрудник?").click()
    customer.get_by_label("Телефон").fill("8 900 333 22 11")
    customer.get_by_label("Код из SMS").fill(code_in(newest_message(customer, portal, "rosseti", "+79003332211")))
    customer.get_by_role("button", name="Войти").click()

    # Staff cannot consent for the customer (152-FZ): the customer ticks the boxes now.
    expect(customer.get_by_role("heading", level=1)).to_have_text("Согласия")
    customer.get_by_role("button", name="Продолжить регистрацию").click()
    expect(customer.get_by_role("alert").first).to_contain_text("Без этого согласия регистрация невозможна.")
    tick_consents(customer, "rosseti", kinds={"personal_data_law", "personal_data"})
    customer.get_by_role("button", name="Продолжить регистрацию").click()

    expect(customer.get_by_role("heading", level=1)).to_have_text("Придумайте пароль")
    fill_passwords(customer, "Very-long-passphrase-3", first="Новый пароль")
    customer.get_by_role("button", name="Сохранить пароль").click()
    link = link_in(newest_message(customer, portal, "rosseti", "sidor@example.com"), "rosseti", "/accounts/activate/")
    activate_by_link(customer, link, "sidor@example.com")
    log_in(customer, portal, "rosseti", "sidor@example.com", "Very-long-passphrase-3")
    expect_signed_in_as(customer, "sidor@example.com")
    customer.goto(portal.url("rosseti", "/accounts/consents/"))
    expect(customer.get_by_role("main")).to_contain_text("Согласие на обработку персональных данных")


def test_staff_log_in_to_the_admin_with_a_totp_code(portal, page):
    staff_log_in(page, portal, "rosseti")
    expect(page.locator("#site-name")).to_contain_text("Россети Московский регион")
    page.goto(portal.url("rosseti", "/admin/accounts/user/"))
    expect(page.get_by_role("link", name="Зарегистрировать клиента")).to_be_visible()
