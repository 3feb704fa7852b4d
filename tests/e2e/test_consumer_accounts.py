"""Issue 9 in Chromium, as a consumer on a phone would walk it: the overview after login,
linking an account by each tenant's method (guide 002 by supplier and number, guide 003's
wizard, guide 004's basic link and its control question, guide 000's contracts that come
with the registration), switching accounts, the meter's chart, and a PDF receipt whose
text and payment QR code are read back.

Every flow runs at 360×740 (a small phone); the guide 002 flow also at desktop width.
Demo data comes from seed_demo (the `portal` fixture); which demo account to link is
looked up in the database, as a person would read it off a paper receipt.
"""

import re
import shutil
import subprocess
import threading

import pytest
from playwright.sync_api import expect

from accounts import demo as accounts_demo
from billing.demo_data import demo_pin
from billing.models import Account, AccountLink, Charge, Invoice, PinRequest
from meters.models import Meter
from portal.scoping import scopes_disabled

from .browser import (
    AXE,
    DESKTOP,
    PHONE,
    assert_fits,
    axe_violations,
    consumer_login,
    flash,
    last_period_total,
    linked_accounts,
    log_in_as_demo_consumer,
    main,
    month_year,
    new_page,
    rub,
    squeezed,
    tenant,
)

# The product's yardstick: on a 360-px phone a consumer sees what they owe and has the
# receipt within 6 taps after login (the overview, where login lands, is tap 0).
MAX_TAPS_TO_RECEIPT = 6


@pytest.fixture(params=["phone", "desktop"])
def any_width(request, browser):
    page = new_page(browser, PHONE if request.param == "phone" else DESKTOP)
    yield page
    page.context.close()


# What the pages look like to a person.


def account_heading(page, number):
    return main(page).get_by_role("heading", level=2, name=f"Лицевой счёт № {number}")


# Demo data, read from the database as a person reads it off a receipt.


def unlinked_account(slug, **filters):
    """A demo account of the tenant that the demo consumer has not linked, with charges."""
    with scopes_disabled():
        account = (
            Account.objects.filter(tenant__slug=slug, closed_on__isnull=True, charges__isnull=False, **filters)
            .exclude(links__user__username=consumer_login(slug))
            .select_related("supplier").order_by("number").distinct().first()
        )
    assert account is not None, f"no demo account of {slug} left to link"
    return account


def expect_what_is_owed(page, account):
    """The overview of ``account``: «К оплате» or «Переплата», the amount, the period, the services."""
    period, total = last_period_total(account)
    expect(account_heading(page, account.number)).to_be_visible()
    balance = main(page).locator(".balance")
    expect(balance.locator(".balance__label")).to_have_text("Переплата" if total < 0 else "К оплате")
    assert squeezed(balance.locator(".balance__amount").inner_text()) == f"{rub(total)}₽"
    expect(balance).to_contain_text(f"за {month_year(period).lower()}")
    services = main(page).get_by_role("table", name="По услугам")
    expect(services.get_by_role("columnheader", name="Услуга")).to_be_visible()
    with scopes_disabled():
        count = Charge.objects.filter(account=account, period=period).count()
    expect(services.locator("tbody tr")).to_have_count(count)


def open_link_page(page):
    main(page).get_by_role("link", name="Подключить лицевой счёт").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Подключение лицевого счёта")
    assert_fits(page)


def link_by_number(page, supplier, typed):
    page.get_by_label("Поставщик услуг").select_option(label=supplier.name)
    page.get_by_label("Номер лицевого счёта").fill(typed)
    main(page).get_by_role("button", name="Подключить").click()


def switch(page):
    """The header's account switch (on every page, with two accounts or more)."""
    return page.get_by_role("combobox", name="Лицевой счёт", exact=True)


def switch_to(page, account, *, on_overview=True):
    """The choice applies on selection (static/js/portal.js)."""
    with page.expect_navigation():
        switch(page).select_option(label=f"{account.number} · {account.supplier.name}")
    if on_overview:
        expect(account_heading(page, account.number)).to_be_visible()


# 1. Guide 002 (gaz): by supplier and number, full access with the receipt's PIN; switching accounts.


def test_gaz_links_an_account_by_supplier_and_number_and_switches_between_accounts(portal, any_width):
    page = any_width
    first, second = linked_accounts("gaz")
    log_in_as_demo_consumer(page, portal, "gaz")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Личный кабинет")
    expect_what_is_owed(page, first)
    assert_fits(page)

    # An account billing does not know: a clear message, nothing linked.
    new = unlinked_account("gaz")
    sector = new.number[:2]
    with scopes_disabled():
        taken = set(Account.objects.filter(supplier=new.supplier).values_list("number", flat=True))
    unknown = next(f"{sector}{n:08d}" for n in range(1, 100) if f"{sector}{n:08d}" not in taken)
    open_link_page(page)
    link_by_number(page, new.supplier, f"{unknown[:2]} {unknown[2:]}")
    expect(main(page)).to_contain_text(f"Лицевой счёт {unknown} у поставщика «{new.supplier.name}» не найден.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Подключение лицевого счёта")
    assert_fits(page)
    # A number of the wrong shape: the supplier's format says what it wants.
    link_by_number(page, new.supplier, "12-345")
    expect(main(page).get_by_role("alert")).to_be_visible()
    assert_fits(page)

    # A real account, typed as printed: the sector code, a separator, the number.
    link_by_number(page, new.supplier, f"{new.number[:2]}-{new.number[2:]}")
    expect(flash(page)).to_contain_text(f"Лицевой счёт {new.number} подключён.")
    # A number proves nothing: the proofs come next, here the PIN printed on the receipt.
    expect(page).to_have_url(portal.url("gaz", f"/personal/{new.pk}/extended/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Подтверждение доступа к лицевому счёту")
    assert_fits(page)
    page.get_by_label("PIN-код (может быть напечатан на квитанции)").check()
    page.get_by_label("Введите ответ на контрольный вопрос").fill(demo_pin(new.number))
    main(page).get_by_role("button", name="Подтвердить").click()
    expect(page).to_have_url(portal.url("gaz", "/overview/"))
    expect(flash(page)).to_contain_text("Полный доступ подключён.")
    expect_what_is_owed(page, new)  # the new account is the current one
    expect(main(page).get_by_role("link", name="Счета и квитанции")).to_be_visible()
    expect(switch(page).locator("option")).to_have_count(3)
    assert_fits(page)

    # The switch: the choice is kept across reloads and pages.
    switch_to(page, second)
    expect_what_is_owed(page, second)
    page.reload()
    expect(account_heading(page, second.number)).to_be_visible()
    expect(switch(page)).to_have_value(str(second.pk))
    page.goto(portal.url("gaz", "/"))
    page.goto(portal.url("gaz", "/overview/"))
    expect(account_heading(page, second.number)).to_be_visible()
    switch_to(page, first)
    page.reload()
    expect(account_heading(page, first.number)).to_be_visible()
    # From another page the switch returns to the same page of the chosen account.
    main(page).get_by_role("link", name="Счета и квитанции").click()
    expect(main(page)).to_contain_text(f"Лицевой счёт № {first.number}")
    assert_fits(page)
    switch_to(page, new, on_overview=False)
    expect(page).to_have_url(portal.url("gaz", f"/personal/{new.pk}/invoices/"))
    expect(main(page)).to_contain_text(f"Лицевой счёт № {new.number}")
    expect(switch(page)).to_have_value(str(new.pk))
    page.goto(portal.url("gaz", "/overview/"))
    expect(account_heading(page, new.number)).to_be_visible()
    # With several accounts, a summary of all of them.
    expect(main(page).get_by_role("heading", level=2, name="Все лицевые счета")).to_be_visible()
    for account in (first, second, new):
        expect(main(page)).to_contain_text(f"{account.number} · {account.supplier.name}")


# 2. Guide 003 (mef): the wizard — type → number and surname → confirm → save.


def test_mef_links_an_account_through_the_wizard(portal, phone):
    page = phone
    account = unlinked_account("mef", subscriber_type=Account.SubscriberType.INDIVIDUAL)
    surname = account.holder_name.split()[0]
    log_in_as_demo_consumer(page, portal, "mef")
    open_link_page(page)

    steps = main(page).get_by_role("list", name="Шаги")
    expect(steps.locator("[aria-current=step]")).to_have_text("Тип абонента")
    main(page).get_by_role("group", name="Тип абонента").get_by_label("Физическое лицо").check()
    main(page).get_by_role("button", name="Вперёд").click()

    expect(steps.locator("[aria-current=step]")).to_have_text("Данные")
    assert_fits(page)
    page.get_by_label("Поставщик услуг").select_option(label=account.supplier.name)
    page.get_by_label("Номер лицевого счёта").fill(f"{account.number[:2]} {account.number[2:]}")
    page.get_by_label(re.compile("^Фамилия владельца счёта")).fill("Неверная")
    main(page).get_by_role("button", name="Вперёд").click()
    expect(main(page)).to_contain_text("Данные не совпадают с данными лицевого счёта.")
    assert_fits(page)
    page.get_by_label(re.compile("^Фамилия владельца счёта")).fill(surname.upper())  # as printed, in capitals
    main(page).get_by_role("button", name="Вперёд").click()

    expect(steps.locator("[aria-current=step]")).to_have_text("Подтверждение")
    facts = main(page).locator("dl")
    expect(facts).to_contain_text("Физическое лицо")
    expect(facts).to_contain_text(account.supplier.name)
    expect(facts).to_contain_text(account.number)
    assert_fits(page)
    main(page).get_by_role("button", name="Сохранить").click()

    expect(page).to_have_url(portal.url("mef", "/overview/"))
    expect(flash(page)).to_contain_text(f"Лицевой счёт {account.number} подключён.")
    expect_what_is_owed(page, account)
    expect(switch(page).locator("option")).to_have_count(3)
    assert_fits(page)


# 3. Guide 004 (mygaz): a basic link by number, then the control question.


def test_mygaz_links_by_number_with_basic_access_then_extended_by_the_control_question(portal, phone):
    page = phone
    account = unlinked_account("mygaz")
    with scopes_disabled():
        serial = Meter.objects.filter(account=account, archived_on__isnull=True).values_list("serial", flat=True)[0]
    log_in_as_demo_consumer(page, portal, "mygaz")
    open_link_page(page)
    # As the hint says: «023-185952» on the receipt is 23185952 here.
    link_by_number(page, account.supplier, f"0{account.number[:2]}-{account.number[2:]}")

    url = portal.url("mygaz", f"/personal/{account.pk}/extended/")
    expect(page).to_have_url(url)
    expect(flash(page)).to_contain_text(f"Лицевой счёт {account.number} подключён.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Подтверждение доступа к лицевому счёту")
    assert_fits(page)

    # Later: the overview shows balance and meters only.
    main(page).get_by_role("link", name="Подтвердить позже").click()
    expect(page).to_have_url(portal.url("mygaz", "/overview/"))
    # mygaz asks the last charge: a basic link sees whether there is a debt, not the amount.
    _period, total = last_period_total(account)
    section = main(page).locator("section.account")
    expect(section.locator(".balance__label")).to_have_text(
        "Переплата" if total < 0 else "К оплате" if total > 0 else "Задолженности нет")
    expect(section.locator(".balance__amount")).to_have_count(0)
    expect(section.locator(".balance")).not_to_contain_text(re.compile(r"\d,\d\d"))  # no amount
    expect(section.get_by_role("table", name="По услугам")).to_have_count(0)
    expect(section).to_contain_text("Доступ по номеру счёта: видно, есть ли задолженность, и приборы учёта.")
    expect(section).not_to_contain_text(serial)  # the control question's answer
    expect(section).not_to_contain_text(account.address)
    expect(section).not_to_contain_text(account.holder_name)
    expect(section).not_to_contain_text("Последний платёж")
    expect(section.get_by_role("link", name="Счета и квитанции")).to_have_count(0)
    expect(section.get_by_role("link", name="Расход по месяцам и история показаний")).to_have_count(0)
    assert_fits(page)
    # Invoices are not reachable yet: the page sends the user to the control question.
    page.goto(portal.url("mygaz", f"/personal/{account.pk}/invoices/"))
    expect(page).to_have_url(url)
    expect(flash(page)).to_contain_text("Этот раздел откроется, когда вы подтвердите, что лицевой счёт ваш.")

    # A PIN request, for someone without the receipt at hand.
    main(page).get_by_role("button", name="Подать запрос на получение PIN-кода").click()
    expect(page).to_have_url(portal.url("mygaz", "/overview/"))
    expect(flash(page)).to_contain_text("Запрос на получение PIN-кода отправлен.")
    with scopes_disabled():
        assert PinRequest.objects.filter(account=account, user__username=consumer_login("mygaz")).count() == 1

    # The control question: a wrong serial, then the meter's.
    main(page).get_by_role("link", name="Подтвердить, что счёт мой").click()
    expect(page).to_have_url(url)
    page.get_by_label("Серийный номер прибора учёта").check()
    page.get_by_label("Введите ответ на контрольный вопрос").fill("000000")
    main(page).get_by_role("button", name="Подтвердить").click()
    expect(main(page).get_by_role("alert")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Подтверждение доступа к лицевому счёту")
    assert_fits(page)
    page.get_by_label("Серийный номер прибора учёта").check()
    page.get_by_label("Введите ответ на контрольный вопрос").fill(serial)
    main(page).get_by_role("button", name="Подтвердить").click()

    expect(page).to_have_url(portal.url("mygaz", "/overview/"))
    expect(flash(page)).to_contain_text("Полный доступ подключён.")
    section = main(page).locator("section.account")
    expect(section).not_to_contain_text("Доступ по номеру счёта")
    expect(section).to_contain_text(account.address)
    section.get_by_role("link", name="Счета и квитанции").click()
    expect(page).to_have_url(portal.url("mygaz", f"/personal/{account.pk}/invoices/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Счета и квитанции")
    expect(main(page).get_by_role("link", name=re.compile("^Скачать PDF")).first).to_be_visible()
    assert_fits(page)


# 4. Guide 000 (rgmek): every contract of the INN comes with the registration.


def test_rgmek_sees_the_accounts_of_both_contracts_without_linking(portal, phone):
    page = phone
    rgmek = tenant("rgmek")
    # The `portal` fixture frees the registry's first counterparty; put the demo consumer
    # back, without its links: the overview links the contracts' accounts by itself.
    with scopes_disabled():
        _tenant, user, _count = accounts_demo.seed_consumer(rgmek)
        AccountLink.objects.filter(user=user).delete()
        found = Account.objects.filter(tenant=rgmek, contract_number__in=["1001", "1002"]).select_related("supplier")
        accounts = {account.contract_number: account for account in found}
    assert set(accounts) == {"1001", "1002"}

    log_in_as_demo_consumer(page, portal, "rgmek")
    expect_what_is_owed(page, accounts["1001"])
    expect(switch(page).locator("option")).to_have_count(2)
    for account in accounts.values():
        expect(switch(page)).to_contain_text(account.number)
    expect(main(page).get_by_role("link", name="Подключить лицевой счёт")).to_have_count(0)
    expect(main(page)).to_contain_text("Договор № 1001")
    expect(main(page)).to_contain_text("Договор № 1002")
    assert_fits(page)
    switch_to(page, accounts["1002"])
    expect_what_is_owed(page, accounts["1002"])
    # There is no linking page for guide 000.
    response = page.goto(portal.url("rgmek", "/personal/link/"))
    assert response.status == 404


# 5. The receipt: within 6 taps from the overview, its text and QR code read back.


def pdf_text(path):
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def qr_payload(pdf, directory):
    import zxingcpp
    from PIL import Image

    subprocess.run(["pdftoppm", "-r", "200", "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(directory / "receipt")], check=True)
    found = zxingcpp.read_barcodes(Image.open(directory / "receipt.png").convert("L"))
    assert len(found) == 1, found
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    return found[0].bytes.decode("utf-8")


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) is not installed")
def test_the_receipt_is_downloaded_within_six_taps_and_reads_back(portal, phone, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "private")},
    }}
    page = phone
    account = linked_accounts("gaz")[0]
    with scopes_disabled():
        invoice = Invoice.objects.filter(account=account).order_by("-period").first()
    assert invoice.total > 0, "the demo consumer's first gaz account is in debt"
    taps = 0
    trail = []  # the pages the browser went through, for the message of a failure
    page.on("framenavigated", lambda frame: trail.append(frame.url) if frame == page.main_frame else None)

    def tap(locator):
        nonlocal taps
        taps += 1
        locator.click()

    log_in_as_demo_consumer(page, portal, "gaz")
    # Tap 0: what they owe is on the screen they land on.
    expect(main(page).locator(".balance__label")).to_have_text("К оплате")
    tap(main(page).get_by_role("link", name="Счета и квитанции"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Счета и квитанции")
    assert_fits(page)
    latest = main(page).get_by_role("link", name=re.compile("^Скачать PDF")).first
    expect(latest).to_have_accessible_name(f"Скачать PDF {month_year(invoice.period)}")
    # The first tap may show «Квитанция формируется…», which refreshes itself and then
    # starts the download; Celery runs eagerly here, so it may be ready at once.
    with page.expect_download(timeout=60_000) as download:
        tap(latest)
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert taps <= MAX_TAPS_TO_RECEIPT, (taps, trail)
    assert saved.name == f"kvitanciya-{account.number}-{invoice.period:%Y-%m}.pdf"
    assert saved.read_bytes().startswith(b"%PDF-")

    text = pdf_text(saved)
    flat = squeezed(text)
    supplier = account.supplier
    assert account.number in text
    assert f"{invoice.period:%m.%Y}" in text
    assert squeezed(supplier.payee_name) in flat
    assert f"Итогокоплате:{rub(invoice.total)}руб." in flat, text

    payload = qr_payload(saved, tmp_path)
    assert payload.startswith("ST00012|"), payload
    fields = dict(part.split("=", 1) for part in payload.split("|")[1:])
    assert fields["PersAcc"] == account.number
    assert fields["Sum"] == str(int(invoice.total * 100))
    assert fields["BIC"] == supplier.bic
    assert fields["PersonalAcc"] == supplier.settlement_account
    assert fields["PayeeINN"] == supplier.inn
    assert fields["TechCode"] == "02"
    assert fields["PaymPeriod"] == f"{invoice.period:%m%Y}"


def test_a_receipt_still_rendering_says_so_and_arrives_by_itself(portal, phone, settings, tmp_path, monkeypatch):
    """As with a real worker: the task runs a moment later, elsewhere; the waiting page
    refreshes itself and the download starts without another tap."""
    from django.db import connections

    from billing import tasks

    settings.STORAGES = {**settings.STORAGES, "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "private")},
    }}
    workers = []

    def run_later(**kwargs):
        def work():
            try:
                tasks.render_receipt.apply(kwargs=kwargs)
            finally:
                connections.close_all()

        worker = threading.Timer(2.5, work)
        workers.append(worker)
        worker.start()

    monkeypatch.setattr(tasks.render_receipt, "delay", run_later)
    page = phone
    account = linked_accounts("gaz")[0]
    log_in_as_demo_consumer(page, portal, "gaz")
    main(page).get_by_role("link", name="Счета и квитанции").click()
    try:
        with page.expect_download(timeout=30_000) as download:
            main(page).get_by_role("link", name=re.compile("^Скачать PDF")).first.click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Квитанция формируется…")
            expect(main(page).get_by_role("status")).to_contain_text(
                f"Готовим квитанцию по лицевому счёту {account.number}")
            assert_fits(page)
        saved = tmp_path / "receipt.pdf"
        download.value.save_as(saved)
    finally:
        for worker in workers:
            worker.join()
    assert len(workers) == 1  # queued once, however often the page refreshed
    assert account.number in pdf_text(saved)


# 6. The meter page: a server-drawn chart and the same numbers in a table.


def test_the_meter_page_shows_a_chart_and_its_table(portal, phone):
    page = phone
    account = linked_accounts("gaz")[0]
    with scopes_disabled():
        meter = Meter.objects.filter(account=account, archived_on__isnull=True).order_by("serial").first()
    log_in_as_demo_consumer(page, portal, "gaz")
    main(page).get_by_role("link", name="Расход по месяцам и история показаний").first.click()
    expect(page).to_have_url(portal.url("gaz", f"/personal/{account.pk}/meters/{meter.pk}/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"счётчик № {meter.serial}")
    chart = main(page).locator("figure svg[role=img]").first
    expect(chart).to_be_visible()
    assert chart.evaluate("svg => svg.getAttribute('aria-labelledby').split(' ').map(id => "
                          "document.getElementById(id).textContent).join(' ').trim()")
    table = main(page).locator("table.consumption__table").first
    expect(table.get_by_role("columnheader", name="Месяц", exact=True)).to_be_visible()
    assert table.locator("tbody tr").count() >= 12
    expect(main(page).get_by_role("heading", name="История показаний")).to_be_visible()
    assert_fits(page)


# 7. axe-core and the phone's width on every page of the flows.


def test_axe_finds_nothing_on_the_consumers_flows_at_phone_width(portal, browser):
    if not AXE.exists():
        pytest.skip(f"{AXE} is missing: `make axe` (run by `make test`) installs it")
    page = new_page(browser, PHONE, bypass_csp=True)  # axe's script is injected: the CSP allows none
    found = []

    def check(what):
        assert_fits(page)
        found.extend(f"{what} ({page.url}): {violation}" for violation in axe_violations(page, every_impact=True))

    try:
        # gaz: overview, linking page (with a refusal), invoices, history, meter.
        account = linked_accounts("gaz")[0]
        log_in_as_demo_consumer(page, portal, "gaz")
        check("overview")
        open_link_page(page)
        check("link page")
        link_by_number(page, account.supplier, "00 00000000")
        expect(main(page).get_by_role("alert")).to_be_visible()
        check("link page, refused")
        page.goto(portal.url("gaz", "/overview/"))
        main(page).get_by_role("link", name="Счета и квитанции").click()
        check("invoices")
        page.goto(portal.url("gaz", f"/personal/{account.pk}/history/"))
        check("history")
        page.goto(portal.url("gaz", "/overview/"))
        main(page).get_by_role("link", name="Расход по месяцам и история показаний").first.click()
        expect(main(page).locator("figure svg[role=img]").first).to_be_visible()
        check("meter")
        page.context.clear_cookies()

        # mef: the wizard's three steps.
        wizard = unlinked_account("mef", subscriber_type=Account.SubscriberType.INDIVIDUAL)
        log_in_as_demo_consumer(page, portal, "mef")
        open_link_page(page)
        check("wizard, type")
        page.get_by_label("Физическое лицо").check()
        main(page).get_by_role("button", name="Вперёд").click()
        check("wizard, details")
        page.get_by_label("Номер лицевого счёта").fill(wizard.number)
        page.get_by_label(re.compile("^Фамилия владельца счёта")).fill(wizard.holder_name.split()[0])
        main(page).get_by_role("button", name="Вперёд").click()
        expect(main(page).get_by_role("button", name="Сохранить")).to_be_visible()
        check("wizard, confirm")
        page.context.clear_cookies()

        # mygaz: the control question, and the overview with basic access.
        basic = unlinked_account("mygaz")
        log_in_as_demo_consumer(page, portal, "mygaz")
        open_link_page(page)
        link_by_number(page, basic.supplier, basic.number)
        expect(page.get_by_role("heading", level=1)).to_have_text("Подтверждение доступа к лицевому счёту")
        check("control question")
        main(page).get_by_role("button", name="Подтвердить").click()  # no answer: the errors
        expect(main(page).get_by_role("alert").first).to_be_visible()
        check("control question, refused")
        page.goto(portal.url("mygaz", "/overview/"))
        check("overview, basic access")
    finally:
        page.context.close()
    assert not found, "\n".join(found)
