import re

import pytest
from playwright.sync_api import expect

from accounts import demo as accounts_demo
from portal import demo

TENANTS = [(t["slug"], t["short_name"], t["name"]) for t in demo.TENANTS]


def test_directory_leads_to_every_tenant(portal, page):
    page.goto(portal.url())
    expect(page.get_by_role("heading", level=1)).to_have_text("Личные кабинеты организаций")
    for slug, short_name, _name in TENANTS:
        page.goto(portal.url())
        page.get_by_role("link", name=short_name, exact=True).click()
        expect(page).to_have_url(portal.url(slug))
        expect(page.get_by_role("heading", level=1)).to_contain_text(short_name)


@pytest.mark.parametrize(("slug", "short_name", "name"), TENANTS, ids=[t[0] for t in TENANTS])
def test_tenant_home_shows_its_name_menu_and_support(portal, page, slug, short_name, name):
    page.goto(portal.url(slug))
    expect(page).to_have_title(f"{short_name} · Личный кабинет")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Личный кабинет {short_name}")
    menu = page.get_by_role("navigation", name="Главное меню")
    expect(menu.get_by_role("link")).to_have_text(["Главная", "Поддержка", "Вход", "Регистрация"])
    expect(menu.get_by_role("link", name="Главная")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("contentinfo")).to_contain_text(name)
    menu.get_by_role("link", name="Поддержка").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Поддержка")
    expect(page.get_by_role("main").get_by_role("link", name=re.compile(r"\d"))).not_to_have_count(0)


def test_unknown_tenant_gets_a_clear_page(portal, page):
    response = page.goto(portal.url("nope"))
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Портал не найден")


def test_phone_width_has_no_horizontal_scroll(portal, page):
    page.set_viewport_size({"width": 360, "height": 740})
    for slug, _short_name, _name in TENANTS:
        for path in ("/", "/support/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"):
            page.goto(portal.url(slug, path))
            assert page.evaluate("document.documentElement.scrollWidth") <= 360, f"{slug}{path}"
    page.goto(portal.url())
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_skip_link_is_the_first_tab_stop(portal, page):
    page.goto(portal.url("gaz"))
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Перейти к содержимому")).to_be_focused()


def test_staff_log_in_and_out(portal, page):
    page.goto(portal.url("mef"))
    page.get_by_role("navigation").get_by_role("link", name="Вход").click()
    page.get_by_label("E-mail").fill(f"{accounts_demo.STAFF_USERNAME}@mef.example")
    page.get_by_label("Пароль").fill(accounts_demo.STAFF_PASSWORD)
    page.get_by_role("button", name="Показать").click()
    expect(page.get_by_label("Пароль")).to_have_attribute("type", "text")
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_role("main")).to_contain_text(f"Вы вошли как {accounts_demo.STAFF_USERNAME}")
    page.get_by_role("button", name="Выход").click()
    expect(page.get_by_role("navigation").get_by_role("link", name="Вход")).to_be_visible()


def test_a_wrong_password_is_refused_in_russian(portal, page):
    page.goto(portal.url("rgmek", "/accounts/login/"))
    page.get_by_label("Логин").fill(accounts_demo.STAFF_USERNAME)
    page.get_by_label("Пароль").fill("wrong-password")
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_role("alert")).to_contain_text("неверн")
