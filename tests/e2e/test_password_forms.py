"""Item 10 of issue 7: password errors that say what to change (not the hint again), common
passwords announced in the hint and refused in plain words, a wrong current password called
wrong, one «Повторите пароль», no placeholders to cut off, the focus on the error summary and
what was typed kept (but passwords and the captcha)."""

import re

import pytest
from playwright.sync_api import expect

from .browser import expect_signed_in_as, log_in, make_user

MEF_HINT = "Пароль: от 8 до 128 символов, только латинские буквы и цифры, заглавные и строчные латинские буквы"


# The captcha takes "PASSED" (the root conftest's captcha_passes).
pytestmark = pytest.mark.usefixtures("captcha_passes")


def fill_mef_signup(page, password, repeat=None):
    page.get_by_label("Фамилия").fill("Иванов")
    page.get_by_label("Имя", exact=True).fill("Иван")
    page.get_by_label("E-mail (логин)").fill("ivan@example.com")
    page.get_by_label("Телефон").fill("8 (900) 123-45-67")
    page.get_by_label("Пароль", exact=True).fill(password)
    page.get_by_label("Повторите пароль", exact=True).fill(password if repeat is None else repeat)
    page.get_by_label("Введите текст с картинки").fill("PASSED")


def test_mef_says_what_to_change_and_keeps_what_was_typed(portal, page):
    page.goto(portal.url("mef", "/accounts/signup/"))
    password = page.get_by_label("Пароль", exact=True)
    expect(password).to_have_accessible_description(
        re.compile("Не подойдут распространённые пароли"))
    fill_mef_signup(page, "abcdefgh")
    page.get_by_role("button", name="Зарегистрироваться").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Добавьте в пароль заглавную и строчную латинские буквы.")
    expect(summary).to_contain_text("Добавьте в пароль цифру.")
    assert page.get_by_role("main").inner_text().count(MEF_HINT) == 1  # the hint, not repeated as the error

    # What was typed is kept, but the passwords and the captcha.
    expect(page.get_by_label("Фамилия")).to_have_value("Иванов")
    expect(page.get_by_label("E-mail (логин)")).to_have_value("ivan@example.com")
    expect(page.get_by_label("Телефон")).to_have_value("8 (900) 123-45-67")
    expect(password).to_have_value("")
    expect(page.get_by_label("Повторите пароль", exact=True)).to_have_value("")
    expect(page.get_by_label("Введите текст с картинки")).to_have_value("")

    # The summary's link takes the focus to the field.
    summary.get_by_role("link", name="Пароль: Добавьте в пароль цифру.").click()
    expect(password).to_be_focused()


@pytest.mark.parametrize(("slug", "common"), [("mef", "Passw0rd1"), ("gaz", "abc12345")])
def test_a_common_password_meeting_the_rule_is_refused_in_plain_words(portal, page, slug, common):
    page.goto(portal.url(slug, "/accounts/signup/"))
    expect(page.get_by_role("main")).to_contain_text("Не подойдут распространённые пароли")
    if slug == "mef":
        fill_mef_signup(page, common)
    else:
        page.get_by_label("E-mail (логин)").fill("ivan@example.com")
        page.get_by_label("Пароль", exact=True).fill(common)
        page.get_by_label("Повторите пароль", exact=True).fill(common)
        page.get_by_label("Введите текст с картинки").fill("PASSED")
    page.get_by_role("button", name="Зарегистрироваться").click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary")).to_contain_text(
        "Этот пароль слишком распространён: его легко подобрать. Придумайте другой.")


def test_the_password_change_calls_a_wrong_current_password_wrong(portal, page):
    email = "pavel@example.com"
    make_user("gaz", username=email, email=email, password="abc12")
    log_in(page, portal, "gaz", email, "abc12")
    expect_signed_in_as(page, email)
    page.goto(portal.url("gaz", "/accounts/password/change/"))
    expect(page.get_by_label("Повторите пароль", exact=True)).to_be_visible()
    expect(page.get_by_role("main")).not_to_contain_text("(ещё раз)")
    expect(page.get_by_label("Новый пароль", exact=True)).to_have_accessible_description(
        re.compile("от 5 до 10 символов"))

    page.get_by_label("Текущий пароль").fill("wrong1")
    page.get_by_label("Новый пароль", exact=True).fill("xyz789")
    page.get_by_label("Повторите пароль", exact=True).fill("xyz789")
    page.get_by_role("button", name="Изменить пароль").click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary")).to_contain_text("Текущий пароль введён неверно.")
    expect(page.get_by_role("main")).not_to_contain_text("Пожалуйста")


PAGES = ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]


@pytest.mark.parametrize("slug", ["rgmek", "rosseti", "gaz", "mef", "mygaz"])
def test_no_placeholder_is_cut_off_at_360_px(portal, page, slug):
    page.set_viewport_size({"width": 360, "height": 740})
    for path in PAGES:
        page.goto(portal.url(slug, path))
        placeholders = page.locator("main input[placeholder]").evaluate_all(
            "inputs => inputs.filter(i => i.placeholder).map(i => i.name + ': ' + i.placeholder)")
        assert placeholders == [], f"{slug}{path}"
