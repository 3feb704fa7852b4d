"""The audit trail in Chromium (issue 13, item 4): gaz's demo staff member changes the demo
consumer's surname in the admin; a plain staff member has no trail to open; gaz's superuser
(a staff member in «Суперпользователи организации») reads who changed what, when, and the
value before and after, on pages without Content Security Policy complaints and with
nothing to save or delete."""

import pytest
from django.contrib.auth.models import Group
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts import demo as accounts_demo
from accounts.models import User
from audit.access import TENANT_SUPERUSERS_GROUP
from portal.models import Tenant
from portal.scoping import tenant_scope

from .browser import DESKTOP, assert_no_complaints, new_page, watch_policy

CHIEF_PASSWORD = "chief-password-2026"


@pytest.fixture
def chief(portal):
    """gaz's superuser: a staff member a platform superuser put in the group."""
    gaz = Tenant.objects.get(slug="gaz")
    with tenant_scope(gaz):
        user = User.objects.create_user(tenant=gaz, username="chief", password=CHIEF_PASSWORD, is_staff=True,
                                        last_name="Главный", first_name="Руководитель")
        # Migration 0002 makes the group; an earlier transactional test's flush empties the table.
        user.groups.add(Group.objects.get_or_create(name=TENANT_SUPERUSERS_GROUP)[0])
        TOTPDevice.objects.create(user=user, name="demo", key=accounts_demo.OTP_DEMO_KEY, confirmed=True)
    return user


@pytest.fixture
def desktops(browser):
    """desktops(): a new desktop browser of its own (cookies too); page.complaints collects
    every Content Security Policy complaint."""
    pages = []

    def make():
        page = watch_policy(new_page(browser, DESKTOP))
        pages.append(page)
        return page

    yield make
    for page in pages:
        page.context.close()


def admin_log_in(page, portal, username, password):
    page.goto(portal.url("gaz", "/admin/"))
    page.get_by_label("Логин:").fill(username)
    page.get_by_label("Пароль:").fill(password)
    page.get_by_label("Код из приложения:").fill(f"{totp(bytes.fromhex(accounts_demo.OTP_DEMO_KEY)):06d}")
    page.get_by_role("button", name="Войти").click()
    expect(page.locator("#site-name")).to_be_visible()


def test_staff_change_a_customer_and_the_tenants_superuser_reads_it(portal, chief, desktops):
    staff = desktops()
    admin_log_in(staff, portal, accounts_demo.STAFF_USERNAME, accounts_demo.STAFF_PASSWORD)
    expect(staff.get_by_role("link", name="Журнал действий сотрудников")).to_have_count(0)
    staff.goto(portal.url("gaz", "/admin/accounts/user/?q=Кузнецов"))
    staff.locator("#result_list tbody th a").first.click()
    staff.get_by_label("Фамилия:").fill("Кузнецов-Петров")
    staff.get_by_role("button", name="Сохранить", exact=True).click()
    expect(staff.locator(".messagelist")).to_be_visible()
    assert_no_complaints(staff, "the staff member's admin pages")
    # Every permission staff hold does not open the trail.
    assert staff.goto(portal.url("gaz", "/admin/audit/auditentry/")).status == 403

    chief_page = desktops()
    admin_log_in(chief_page, portal, "chief", CHIEF_PASSWORD)
    chief_page.get_by_role("link", name="Журнал действий сотрудников").click()
    rows = chief_page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    for text in (accounts_demo.STAFF_USERNAME, "изменение", "Фамилия: Кузнецов → Кузнецов-Петров"):
        expect(rows.first).to_contain_text(text)
    assert_no_complaints(chief_page, "the trail")
    rows.first.locator("th a").first.click()
    changes = chief_page.locator("table", has_text="было")
    expect(changes).to_contain_text("Кузнецов-Петров")
    expect(chief_page.get_by_role("button", name="Сохранить", exact=True)).to_have_count(0)
    expect(chief_page.get_by_role("link", name="Удалить")).to_have_count(0)
    assert_no_complaints(chief_page, "an entry of the trail")
