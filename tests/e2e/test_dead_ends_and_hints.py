"""Item 11 of issue 7: the not-activated page sends the link again; mygaz reads an incomplete
phone as a phone; rgmek hints its login and shows the generated one whole, with a copy
button; the directory tells the two Gazprom portals apart. (A declined optional consent
given later: test_account_flows.py, rosseti.)"""

import re
from datetime import timedelta

import pytest
from django.db.models import F
from playwright.sync_api import expect

from accounts.models import Confirmation
from portal.scoping import tenant_scope

from .browser import (
    activate_by_link,
    code_in,
    enter_code,
    expect_signed_in_as,
    fill_rgmek_form,
    link_in,
    log_in,
    make_user,
    newest_message,
    tenant,
    tick_consents,
)

# The captcha takes "PASSED" (the root conftest's captcha_passes).
pytestmark = pytest.mark.usefixtures("captcha_passes")


def test_the_not_activated_page_sends_the_link_again(portal, page):
    email = "ivan@example.com"
    page.goto(portal.url("mef", "/accounts/signup/"))
    page.get_by_label("Фамилия").fill("Иванов")
    page.get_by_label("Имя", exact=True).fill("Иван")
    page.get_by_label("E-mail (логин)").fill(email)
    page.get_by_label("Телефон").fill("8 (900) 123-45-67")
    page.get_by_label("Пароль", exact=True).fill("Secret123x")
    page.get_by_label("Повторите пароль", exact=True).fill("Secret123x")
    page.get_by_label("Введите текст с картинки").fill("PASSED")
    tick_consents(page, "mef")
    page.get_by_role("button", name="Зарегистрироваться").click()
    expect(page.get_by_role("main")).to_contain_text(f"Мы отправили письмо на {email}")
    first_link = link_in(newest_message(page, portal, "mef", email), "mef", "/accounts/activate/")

    log_in(page, portal, "mef", email, "Secret123x")
    expect(page.get_by_role("heading", level=1)).to_have_text("Личный кабинет не активирован")
    expect(page.get_by_role("main")).to_contain_text(f"которое мы отправили на {email}")
    page.get_by_role("button", name="Выслать ссылку ещё раз").click()
    expect(page.get_by_role("status")).to_contain_text("Письмо уже отправлено. Повторить можно через")

    with tenant_scope(tenant("mef")):  # a minute passes
        Confirmation.objects.filter(user__email=email).update(created_at=F("created_at") - timedelta(seconds=61))
    page.get_by_role("button", name="Выслать ссылку ещё раз").click()
    expect(page.get_by_role("status")).to_contain_text(f"Мы отправили ссылку для подтверждения на {email}")
    link = link_in(newest_message(page, portal, "mef", email), "mef", "/accounts/activate/")
    assert link != first_link
    activate_by_link(page, link, email)
    log_in(page, portal, "mef", email, "Secret123x")
    expect_signed_in_as(page, email)


def test_a_wrong_password_never_reaches_the_resend_button(portal, page):
    make_user("mef", username="olga@example.com", email="olga@example.com", password="Secret123x", is_active=False)
    log_in(page, portal, "mef", "olga@example.com", "Wrong123x")
    expect(page.get_by_role("alert")).to_contain_text("неверн")
    page.goto(portal.url("mef", "/accounts/inactive/"))
    expect(page.get_by_role("button", name="Выслать ссылку ещё раз")).to_have_count(0)


def test_mygaz_reads_an_incomplete_phone_as_a_phone(portal, page):
    page.goto(portal.url("mygaz", "/accounts/signup/"))
    page.get_by_label("Логин (телефон или e-mail)").fill("+7 900 12")
    page.get_by_label("Пароль", exact=True).fill("gas123")
    page.get_by_label("Повторите пароль", exact=True).fill("gas123")
    page.get_by_role("button", name="Зарегистрироваться").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Укажите номер мобильного телефона, например +7 900 123-45-67.")
    expect(summary).not_to_contain_text("адрес электронной почты")
    expect(page.get_by_label("Логин (телефон или e-mail)")).to_have_value("+7 900 12")


def test_rgmek_hints_its_login_and_shows_the_generated_one_whole_with_a_copy_button(portal, browser):
    context = browser.new_context(locale="ru-RU", viewport={"width": 360, "height": 780})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=portal.url("rgmek").rstrip("/"))
    page = context.new_page()
    page.goto(portal.url("rgmek", "/accounts/login/"))
    expect(page.get_by_label("Логин", exact=True)).to_have_accessible_description(
        re.compile(r"ИНН и номер договора через дефис, например 6229001125-1001"))

    page.goto(portal.url("rgmek", "/accounts/signup/"))
    fill_rgmek_form(page, contract="1002", contact="+7 900 111-00-01")
    tick_consents(page, "rgmek")
    page.get_by_role("button", name="Зарегистрироваться").click()
    enter_code(page, code_in(newest_message(page, portal, "rgmek", "+79001110001")))
    expect(page.get_by_role("heading", level=1)).to_have_text("Регистрация завершена")

    login = page.locator(".generated-login")
    expect(login).to_have_text("6229001125-1002")
    assert login.evaluate("el => getComputedStyle(el).wordBreak") != "break-all"
    assert login.evaluate("el => el.getClientRects().length") == 1
    lines = login.evaluate("el => el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight)")
    assert lines < 1.5, "the login wraps"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.get_by_role("button", name="Скопировать логин").click()
    expect(page.get_by_role("main")).to_contain_text("Скопировано")
    assert page.evaluate("navigator.clipboard.readText()") == "6229001125-1002"
    context.close()


def test_the_directory_tells_the_two_gazprom_portals_apart(portal, page):
    page.goto(portal.url())
    cards = {}
    for short_name, slug in (("Межрегионгаз", "gaz"), ("Мой ГАЗ", "mygaz")):
        heading = page.get_by_role("heading", name=short_name, exact=True)
        card = page.get_by_role("listitem").filter(has=heading)
        expect(card).to_contain_text(tenant(slug).name)
        expect(card).to_contain_text(f"{slug}.localhost")
        cards[slug] = card.inner_text()
    assert cards["gaz"] != cards["mygaz"]
