"""«Мой профиль» on a 360-px phone: mef's demo consumer changes the phone with the code sent
to the new number (read off /dev/outbox/, as a person trying the demo would), after a wrong
code first; the old number is told. The rules behind it are tested in
accounts/tests/test_profile.py."""

from playwright.sync_api import expect

from accounts.demo import CONSUMER_PASSWORD

from .browser import (
    open_menu,
    PHONE,
    assert_fits,
    code_in,
    flash,
    log_in_as_demo_consumer,
    main,
    new_page,
    newest_message,
)

OLD_PHONE = "+79007770104"  # mef's demo consumer (accounts/demo.py)
NEW_PHONE = "+79007770199"


def test_the_demo_consumer_changes_the_phone_by_its_code(portal, browser):
    page = new_page(browser, PHONE)
    try:
        log_in_as_demo_consumer(page, portal, "mef")
        open_menu(page).get_by_role("link", name="Профиль").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Мой профиль")
        expect(main(page)).to_contain_text(f"Сейчас указан: {OLD_PHONE}.")
        expect(main(page).get_by_role("link", name="Смена пароля")).to_be_visible()
        assert_fits(page)

        page.get_by_label("Новый телефон").fill("8 900 777-01-99")
        phone_form = page.locator("form", has=page.get_by_label("Новый телефон"))
        phone_form.get_by_label("Текущий пароль").fill(CONSUMER_PASSWORD)
        page.get_by_role("button", name="Получить код").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Подтверждение телефона")
        expect(main(page)).to_contain_text("+7 900 ***-**-99")
        assert_fits(page)

        code = code_in(newest_message(page, portal, "mef", NEW_PHONE))
        page.get_by_label("Код подтверждения").fill("000000" if code != "000000" else "111111")
        page.get_by_role("button", name="Подтвердить").click()
        expect(main(page)).to_contain_text("Неверный код. Осталось попыток: 4.")

        page.get_by_label("Код подтверждения").fill(code)
        page.get_by_role("button", name="Подтвердить").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Мой профиль")
        expect(flash(page)).to_contain_text("Телефон изменён.")
        expect(main(page)).to_contain_text(f"Сейчас указан: {NEW_PHONE}.")
        assert_fits(page)

        told = newest_message(page, portal, "mef", OLD_PHONE)
        assert "изменён на +7 900 ***-**-99" in told
    finally:
        page.context.close()
