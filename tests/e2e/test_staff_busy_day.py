"""Staff on a busy day in Chromium (issue 24, item 8), at 1280 px and at 360 px, under the
site's Content Security Policy: gaz's operator finds an appeal by the customer's surname and by
words of it, opens the customer's account (balance, last payment, meters with their last
readings, who is linked), uploads billing's files and sees the result without reloading by
hand; rosseti's operator registers a customer and lands on what to tell them next. The titles
read «Выберите обращение или заявку…». SCREENSHOTS_DIR=<folder> keeps a picture of each page."""

import os
import re

import pytest
from playwright.sync_api import expect

from appeals import services as appeal_services
from portal.scoping import scopes_disabled, tenant_scope

from .browser import DESKTOP, PHONE, assert_no_complaints, linked_accounts, new_page, staff_log_in, tenant, watch_policy

SHOTS = os.environ.get("SCREENSHOTS_DIR")
ACCOUNTS = ("supplier;account_number;subscriber_type;holder_name;address\n"
            "{supplier};7770001;individual;Петров Пётр;г. Рязань, ул. Ленина, д. 1\n"
            "{supplier};7770002;alien;Никто;нигде\n")


@pytest.fixture(params=[DESKTOP, PHONE], ids=["1280", "360"])
def staff_page(browser, request):
    page = watch_policy(new_page(browser, request.param))
    page.width = request.param["width"]
    yield page
    page.context.close()


def look(page, name):
    assert_no_complaints(page, name)
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}-{page.width}.png"), full_page=True)


def fits(page):
    """Nothing of the page itself wider than the screen (the admin's own tables scroll inside)."""
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_gaz_operator_finds_the_appeal_the_account_and_the_import(portal, staff_page, tmp_path):
    page = staff_page
    with scopes_disabled():
        gaz = tenant("gaz")
        from accounts.models import User

        customer = User.objects.get(tenant=gaz, email="consumer@gaz.example")
        account = linked_accounts("gaz")[0]
    with tenant_scope(gaz):
        appeal = appeal_services.appeal_create(tenant=gaz, author=customer, account=account,
                                               text="Почему такой большой счёт за газ в ноябре?")
    staff_log_in(page, portal, "gaz")

    page.goto(portal.url("gaz", "/admin/appeals/appeal/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Выберите обращение или заявку для изменения")
    for term in ("Кузнецов", "большой счёт", "consumer@gaz"):
        page.locator("#searchbar").fill(term)
        page.locator("#searchbar").press("Enter")
        expect(page.locator("#result_list")).to_contain_text(f"№ {appeal.number}")
    page.locator("#searchbar").fill("никто такого не писал")
    page.locator("#searchbar").press("Enter")
    expect(page.locator("#result_list")).to_have_count(0)
    page.locator("#searchbar").fill("большой счёт")
    page.locator("#searchbar").press("Enter")
    look(page, "admin-appeal-search")

    page.goto(portal.url("gaz", f"/admin/billing/account/{account.pk}/change/"))
    content = page.locator("#content")
    expect(content).to_contain_text("Сальдо")
    expect(content).to_contain_text("Последний платёж")
    expect(content).to_contain_text("Последние показания")
    expect(content).to_contain_text("consumer@gaz.example")
    look(page, "admin-account")
    page.goto(portal.url("gaz", "/admin/billing/account/?q=" + account.address.split(",")[-1].strip()))
    expect(page.locator("#result_list")).to_contain_text(account.number)

    page.goto(portal.url("gaz", "/admin/billing/importrun/upload/"))
    upload = tmp_path / "accounts.csv"
    with scopes_disabled():
        supplier = account.supplier.code
    upload.write_text(ACCOUNTS.format(supplier=supplier), encoding="utf-8")
    page.get_by_label(re.compile("Файлы")).set_input_files(upload)
    page.get_by_role("button", name=re.compile("Загрузить")).click()
    status = page.get_by_role("status").filter(has_text="Импорт завершён")
    expect(status).to_contain_text("Строк прочитано: 2; создано: 1")
    expect(page.locator("#content")).not_to_contain_text("обновите")
    assert fits(page)
    look(page, "admin-import-result")


def test_rosseti_operator_registers_a_customer_and_sees_what_next(portal, staff_page):
    page = staff_page
    staff_log_in(page, portal, "rosseti")
    page.goto(portal.url("rosseti", "/admin/accounts/user/register-customer/"))
    suffix = "1" if page.width > 360 else "2"
    page.locator("#id_last_name").fill("Сидоров")
    page.locator("#id_first_name").fill("Сидор")
    page.locator("#id_email").fill(f"sidor{suffix}@example.com")
    page.locator("#id_phone").fill(f"+7 900 333-22-1{suffix}")
    page.get_by_role("button", name="Зарегистрировать").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Клиент зарегистрирован: что дальше")
    expect(page.locator("#content")).to_contain_text("Ждём код из SMS.")
    expect(page.locator("#content")).to_contain_text("/accounts/signup/continue/")
    assert fits(page)
    look(page, "admin-registered-customer")
