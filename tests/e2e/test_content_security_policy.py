"""Every page works under the Content-Security-Policy and Permissions-Policy headers: Chromium
reports no violation (a "Refused to ..." console message or a securitypolicyviolation event)
on the portal's pages, the account pages, the captcha and its refresh, and the admin."""

import re

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from accounts import demo as accounts_demo
from portal import demo

from .browser import assert_no_complaints, watch_policy

# The captcha takes "PASSED" (the root conftest's captcha_passes).
pytestmark = pytest.mark.usefixtures("captcha_passes")


@pytest.fixture
def watched(page):
    """The page, with every policy complaint collected; watched.visit(url) opens a page and
    checks that it raised none."""
    watch_policy(page)

    class Watched:
        def check(self, where):
            assert_no_complaints(page, where)

        def visit(self, url):
            response = page.goto(url)
            assert response.ok or response.status == 404, f"{url}: {response.status}"
            assert "Content-Security-Policy" in {name.title() for name in response.headers} or not response.ok
            self.check(url)
            return response

    return Watched()


PORTAL_PAGES = ["/", "/support/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]


@pytest.mark.parametrize("slug", [t["slug"] for t in demo.TENANTS])
def test_a_tenants_pages_raise_no_policy_violation(portal, page, watched, slug):
    for path in PORTAL_PAGES:
        response = watched.visit(portal.url(slug, path))
        assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    watched.visit(portal.url(slug, "/dev/outbox/"))
    watched.visit(portal.url(slug, "/no-such-page/"))
    watched.visit(portal.url(slug, "/admin/login/"))


def test_the_directory_and_an_unknown_host_raise_none(portal, watched):
    watched.visit(portal.url())
    watched.visit(portal.url(path="/dev/outbox/"))
    watched.visit(portal.url("nope"))


def test_the_tenants_colours_apply_under_the_policy(portal, page, watched):
    watched.visit(portal.url("gaz"))
    brand = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--brand').trim()")
    from portal.models import Tenant

    assert brand.lower() == Tenant.objects.get(slug="gaz").primary_colour.lower()


def test_the_captcha_loads_and_refreshes_under_the_policy(portal, page, watched):
    watched.visit(portal.url("mef", "/accounts/signup/"))
    captcha = page.get_by_role("img", name="Проверочный код: латинские буквы на картинке")
    first_src = captcha.get_attribute("src")
    assert page.evaluate("document.querySelector('img.captcha').naturalWidth") > 0
    page.get_by_role("button", name="Обновить картинку").click()
    expect(captcha).not_to_have_attribute("src", first_src)
    page.wait_for_function("() => document.querySelector('img.captcha').complete"
                           " && document.querySelector('img.captcha').naturalWidth > 0")
    watched.check("captcha refresh")


def test_a_signed_in_customers_pages_raise_none(portal, page, watched):
    watched.visit(portal.url("mef", "/accounts/login/"))
    page.get_by_label("E-mail").fill(f"{accounts_demo.STAFF_USERNAME}@mef.example")
    page.get_by_label("Пароль").fill(accounts_demo.STAFF_PASSWORD)
    page.get_by_role("button", name="Показать").click()
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_role("main")).to_contain_text(f"Вы вошли как {accounts_demo.STAFF_USERNAME}")
    watched.check("after login")
    for path in ("/", "/accounts/password/change/", "/accounts/consents/"):
        watched.visit(portal.url("mef", path))


def admin_log_in(page, watched, url, username, password):
    watched.visit(url)
    page.get_by_label("Логин:").fill(username)
    page.get_by_label("Пароль:").fill(password)
    page.get_by_label("Код из приложения:").fill(f"{totp(bytes.fromhex(accounts_demo.OTP_DEMO_KEY)):06d}")
    page.get_by_role("button", name="Войти").click()
    expect(page.locator("#site-name")).to_be_visible()
    watched.check("admin index")


def visit_every_admin_page(page, watched, base):
    """The index, every changelist and add form, and the first row's change form and history."""
    links = page.locator("#content-main a[href]").evaluate_all("links => links.map(link => link.getAttribute('href'))")
    changelists = sorted({href for href in links if re.fullmatch(r"/admin/\w+/\w+/", href)})
    assert changelists
    for changelist in changelists:
        watched.visit(base + changelist)
        rows = page.locator("#result_list tbody th a, #result_list tbody td.field-__str__ a")
        if rows.count():
            change = rows.first.get_attribute("href")
            watched.visit(base + change)
            watched.visit(base + change.replace("/change/", "/history/"))
        add = page.locator("a.addlink")
        if add.count():
            watched.visit(base + add.first.get_attribute("href"))
    return changelists


def test_a_tenants_admin_raises_none(portal, page, watched):
    base = portal.url("rosseti").rstrip("/")
    admin_log_in(page, watched, base + "/admin/", accounts_demo.STAFF_USERNAME, accounts_demo.STAFF_PASSWORD)
    changelists = visit_every_admin_page(page, watched, base)
    assert "/admin/accounts/user/" in changelists
    watched.visit(base + "/admin/accounts/user/register-customer/")
    watched.visit(base + "/admin/password_change/")


def test_the_platform_admin_raises_none(portal, page, watched):
    base = portal.url().rstrip("/")
    admin_log_in(page, watched, base + "/admin/", accounts_demo.SUPERUSER_USERNAME, accounts_demo.SUPERUSER_PASSWORD)
    visit_every_admin_page(page, watched, base)
    # The device's page shows the QR code to scan; the group form has the two-list picker.
    watched.visit(base + "/admin/otp_totp/totpdevice/")
    page.locator("#result_list tbody th a").first.click()
    watched.check("device change form")
    page.get_by_role("link", name="qrcode").click()
    qr_code = page.locator("img[src$='/qrcode/']")
    expect(qr_code).to_be_visible()
    page.wait_for_function("() => document.querySelector(\"img[src$='/qrcode/']\").naturalWidth > 0")
    watched.check("device QR code")
    watched.visit(base + "/admin/auth/group/add/")
    expect(page.locator(".selector-available")).to_be_visible()
    watched.visit(base + "/admin/portal/tenant/add/")
    page.get_by_role("button", name="Добавить еще один Домен").click()
    expect(page.locator("input[name='domains-0-domain']")).to_be_visible()
    watched.check("tenant form with an added inline")
