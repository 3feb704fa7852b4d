"""rosseti's applicant in Chromium (issue 24, item 6): the login lands on «Мои заявки», «Новая
заявка» first and no account to link; staff move a sent application to «договор» in the admin
(TOTP, at 1280 px); the applicant reads the e-mail and, on a 360-px phone, the application's
stages as an ordered list with the current one marked. axe-core and no horizontal scroll on
every customer page."""

import os
import re

import pytest
from django.core.files.storage import FileSystemStorage
from playwright.sync_api import expect

from appeals.factories import grid_application
from appeals.models import Appeal, Attachment
from portal.scoping import scopes_disabled

from .browser import (
    DESKTOP,
    PASSWORD,
    Audit,
    expect_signed_in_as,
    heading,
    log_in,
    main,
    new_page,
    newest_message,
    staff_log_in,
)

SHOTS = os.environ.get("SCREENSHOTS_DIR")


@pytest.fixture(autouse=True)
def _private_files_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setattr(Attachment._meta.get_field("file"), "storage",
                        FileSystemStorage(location=tmp_path / "private"))


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def test_the_applicant_lands_on_applications_and_follows_the_stages(portal, axe_phone, browser):
    page, audit = axe_phone, Audit(axe_phone)
    login = "consumer@rosseti.example"
    with scopes_disabled():
        from accounts.models import User

        applicant = User.objects.get(tenant__slug="rosseti", username=login)
        appeal = grid_application(applicant.tenant, applicant)

    log_in(page, portal, "rosseti", login, PASSWORD)
    expect_signed_in_as(page, login)
    expect(heading(page)).to_have_text("Мои заявки")
    expect(main(page)).not_to_contain_text("лицевой счёт")
    first_action = main(page).locator("a.button").first
    expect(first_action).to_have_text("Новая заявка на технологическое присоединение")
    card = main(page).locator(".card").filter(has_text=f"№ {appeal.number}")
    expect(card).to_contain_text("Этап: подана (1 из 5)")
    audit("applicant home")
    shot(page, "rosseti-home-360")

    staff = new_page(browser, DESKTOP)
    staff_log_in(staff, portal, "rosseti")
    staff.goto(portal.url("rosseti", f"/admin/appeals/appeal/{appeal.pk}/change/"))
    staff.get_by_label("Этап:").select_option(label="договор")
    staff.get_by_role("button", name="Сохранить", exact=True).click()
    expect(staff.locator(".messagelist")).to_contain_text("Заявитель получит сообщение о новом этапе: «договор»")
    staff.goto(portal.url("rosseti", f"/admin/appeals/appeal/{appeal.pk}/change/"))
    expect(staff.locator("#stage_changes-group")).to_contain_text("договор")
    shot(staff, "rosseti-admin-stage-1280")
    staff.context.close()

    mail = newest_message(page, portal, "rosseti", applicant.email)
    assert "этап «договор»" in mail, mail

    page.goto(portal.url("rosseti", "/overview/"))
    expect(main(page).locator(".card").filter(has_text=f"№ {appeal.number}")).to_contain_text(
        "Этап: договор (3 из 5)")
    main(page).get_by_role("link", name=re.compile(f"№ {appeal.number}$")).click()
    stages = main(page).locator("ol.stages > li")
    expect(stages).to_have_count(5)
    current = main(page).locator("ol.stages > li[aria-current='step']")
    expect(current).to_have_count(1)
    expect(current).to_contain_text("Договор")
    expect(current).to_contain_text("текущий этап")
    expect(stages.nth(0)).to_contain_text("пройден")
    expect(stages.nth(4)).to_contain_text("впереди")
    audit("application with stages")
    shot(page, "rosseti-application-360")
    with scopes_disabled():
        assert Appeal.objects.get(pk=appeal.pk).stage == Appeal.Stage.CONTRACT
    audit.assert_clean()
