"""Item 9 of issue 7: «Вас зарегистрировал сотрудник?» only where staff register customers;
the page and the SMS speak of one «код из SMS»; an expired code has a way forward."""

from datetime import timedelta

from django.db.models import F
from playwright.sync_api import expect

from accounts import registration
from accounts.models import Confirmation
from portal.scoping import tenant_scope

from .browser import code_in, newest_message, staff_log_in, tenant


def test_only_a_tenant_whose_staff_register_customers_offers_the_path(portal, page):
    for slug in ("rgmek", "gaz", "mef", "mygaz"):
        page.goto(portal.url(slug, "/accounts/signup/"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Регистрация в личном кабинете")
        expect(page.get_by_role("link", name="Вас зарегистрировал сотрудник?")).to_have_count(0)
        assert page.goto(portal.url(slug, "/accounts/signup/continue/")).status == 404

    page.goto(portal.url("rosseti", "/accounts/signup/"))
    page.get_by_role("link", name="Вас зарегистрировал сотрудник?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Завершение регистрации")
    expect(page.get_by_role("main")).to_contain_text("введите номер телефона и код из SMS")
    expect(page.get_by_label("Код из SMS")).to_be_visible()
    expect(page.get_by_role("main")).not_to_contain_text("пароль из SMS")


def test_an_expired_staff_code_has_a_way_forward(portal, browser, page):
    rosseti = tenant("rosseti")
    with tenant_scope(rosseti):
        registration.registration_by_staff(tenant=rosseti, email="sidor@example.com", phone="+79003332211",
                                       last_name="Сидоров", first_name="Сидор")
    sms = newest_message(page, portal, "rosseti", "+79003332211")
    assert "Код из SMS" in sms
    assert "rosseti.localhost" in sms and "/accounts/signup/continue/" in sms  # where to enter it
    old_code = code_in(sms)

    # Five minutes pass: the code is dead.
    with tenant_scope(rosseti):
        Confirmation.objects.filter(destination="+79003332211").update(
            code_expires_at=F("created_at") - timedelta(seconds=1), created_at=F("created_at") - timedelta(minutes=6))
    page.goto(portal.url("rosseti", "/accounts/signup/continue/"))
    page.get_by_label("Телефон").fill("+7 900 333-22-11")
    page.get_by_label("Код из SMS").fill(old_code)
    page.get_by_role("button", name="Войти").click()
    main = page.get_by_role("main")
    expect(main).to_contain_text("попросите сотрудника отправить новый")
    expect(page.get_by_role("heading", name="Код не подходит или его срок истёк?")).to_be_visible()
    expect(main.get_by_role("link", name="8 (800) 700-40-70")).to_have_attribute("href", "tel:88007004070")

    # Staff send a new code from the admin; the customer goes on with it.
    staff_context = browser.new_context(locale="ru-RU")
    staff = staff_context.new_page()
    staff_log_in(staff, portal, "rosseti")
    staff.goto(portal.url("rosseti", "/admin/accounts/user/?q=sidor"))
    staff.get_by_role("row", name="sidor@example.com").get_by_role("checkbox").check()
    staff.get_by_label("Действие:").select_option(label="Отправить новый код из SMS клиентам, зарегистрированным сотрудником")
    staff.get_by_role("button", name="Выполнить").click()
    expect(staff.locator(".messagelist")).to_contain_text("Новый код отправлен по SMS: +79003332211")
    staff_context.close()

    new_code = code_in(newest_message(page, portal, "rosseti", "+79003332211"))
    assert new_code != old_code
    page.get_by_label("Телефон").fill("+7 900 333-22-11")
    page.get_by_label("Код из SMS").fill(new_code)
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Согласия")
