"""The monthly routine on a 360×800 phone, counted in taps (issue 24): from the page a login
lands on, submit every meter's reading of the account, pay the debt through the provider (the
sandbox's page counts as one tap), and have the month's receipt PDF and the payment's
confirmation — at most 6 taps on every tenant that has accounts. Typing is not a tap; a tap
is a click or a submit press. On the landing page the amount to pay and both actions
(«Оплатить N ₽», «Передать показания») are inside the first 800 px, under a header of at most
120 px. Then the same debt is not offered again: «Оплачено N ₽ DD.MM, ожидает учёта», and the
pay page neither preselects it nor pays it a second time without asking.

With PORTAL_SCREENS=<dir> (`make screens`) the landing page of each tenant is also saved as
<dir>/home-<slug>-360.png: docs/screens/ stays current with the pages.

mygaz's window is strict (15–25): the test opens it for the whole month, as staff would.
"""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts import demo as accounts_demo
from billing import fragments
from meters.models import Meter, ReadingWindow
from payments.models import Payment
from portal.scoping import scopes_disabled

from .browser import (
    AXE,
    axe_violations,
    assert_fits,
    baseline,
    heading,
    last_period_total,
    linked_accounts,
    log_in_as_demo_consumer,
    main,
    new_page,
    rub,
    squeezed,
    tenant,
    typed,
)

MAX_TAPS = 6
SCREEN = {"width": 360, "height": 800}
HEADER_MAX = 120
SCREENS = os.environ.get("PORTAL_SCREENS", "")


@pytest.fixture
def phone_800(browser):
    """A 360×800 phone on which axe may be injected (CSP bypassed for its script)."""
    if not AXE.exists():
        pytest.skip(f"{AXE} is missing: `make axe` installs it")
    page = new_page(browser, SCREEN, bypass_csp=True)
    yield page
    page.context.close()


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "private")},
    }}


def open_window_all_month(slug):
    """mygaz takes readings on the 15th–25th only: open it for the test, as staff would."""
    with scopes_disabled():
        ReadingWindow.objects.filter(tenant=tenant(slug)).update(first_day=1, last_day=31)
    fragments.forget_tenant(tenant(slug).pk)


def bottom(locator):
    box = locator.bounding_box()
    assert box is not None, locator
    return box["y"] + box["height"]


def save_screen(page, slug):
    if SCREENS:
        directory = Path(SCREENS)
        directory.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(directory / f"home-{slug}-360.png"))


@pytest.mark.parametrize("slug", ["gaz", "mygaz", "mef", "rgmek"])
def test_the_routine_takes_at_most_six_taps(portal, phone_800, private_storage, slug):
    page = phone_800
    if slug == "mygaz":
        open_window_all_month(slug)
    if slug == "rgmek":  # the `portal` fixture freed the registry's first counterparty: back it comes
        with scopes_disabled():
            accounts_demo.seed_consumer(tenant(slug))
    taps, trail = 0, []
    page.on("framenavigated", lambda frame: trail.append(frame.url) if frame == page.main_frame else None)

    def tap(locator):
        nonlocal taps
        taps += 1
        locator.click()

    log_in_as_demo_consumer(page, portal, slug)  # rgmek's contracts are linked on arrival
    account = linked_accounts(slug)[0]
    period, debt = last_period_total(account)
    assert debt > 0, f"{slug}: the demo consumer's first account is in debt"
    with scopes_disabled():
        today = tenant(slug).today()
        meters = [meter for meter in Meter.objects.filter(account=account, archived_on__isnull=True).order_by("serial")
                  if meter.verified_until is None or meter.verified_until >= today]
        values = {(meter, zone): baseline(meter, zone, today) + 1 for meter in meters
                  for zone in range(1, meter.zones + 1)}
    assert values, f"{slug}: the account has meters"
    # The first screen: the header, what is owed and both actions.
    header = page.locator("header.site-header")
    assert header.bounding_box()["height"] <= HEADER_MAX, header.bounding_box()
    amount = main(page).locator(".balance__amount")
    assert squeezed(amount.inner_text()) == f"{rub(debt)}₽"
    pay = main(page).get_by_role("button", name=re.compile(r"^Оплатить \d"))
    expect(pay).to_have_accessible_name(re.compile(r"^Оплатить\s*" + r"\s*".join(re.escape(c) for c in rub(debt))
                                                  + r"\s*₽$"))
    readings = main(page).get_by_role("link", name="Передать показания", exact=True)
    for what in (amount, pay, readings):
        assert bottom(what) <= SCREEN["height"], (slug, what, what.bounding_box())
    assert_fits(page)
    assert not axe_violations(page, every_impact=True), axe_violations(page, every_impact=True)
    page.reload()  # the home as it is every day after, without «Успешный вход»
    expect(page.locator(".messages")).to_have_count(0)
    save_screen(page, slug)

    # Tap 1: every meter's reading, typed into the home's fields.
    for (meter, zone), value in values.items():
        main(page).locator(f"#m{meter.pk}z{zone}").fill(typed(meter, value))
    tap(main(page).get_by_role("button", name="Отправить показания"))
    question = main(page).get_by_label("Да, всё правильно")
    if question.count():  # a value the rules ask about: ticked, sent again
        for box in question.all():
            tap(box)
        tap(main(page).get_by_role("button", name="Передать показания"))
    expect(page.locator(".messages")).to_contain_text(re.compile(rf"Показания\s+{len(meters)}\s+прибор\S*\s+приняты"))
    expect(page).to_have_url(portal.url(slug, "/overview/"))

    # Taps 2–4: «Оплатить N ₽», «Перейти к оплате», the provider's «Оплатить».
    tap(main(page).get_by_role("button", name=re.compile(r"^Оплатить \d")))
    expect(heading(page)).to_have_text("Подтверждение оплаты")
    tap(main(page).get_by_role("button", name="Перейти к оплате"))
    expect(heading(page)).to_have_text("Тестовая касса")
    tap(main(page).get_by_role("button", name="Оплатить", exact=True))
    expect(heading(page)).to_have_text("Оплата прошла")  # the payment's confirmation
    expect(main(page).locator("dl.details")).to_contain_text(account.number)
    assert not axe_violations(page, every_impact=True), axe_violations(page, every_impact=True)

    # Tap 5: the month's receipt.
    with page.expect_download(timeout=60_000) as download:
        tap(main(page).get_by_role("link", name=re.compile(r"^Квитанция за .*PDF$")))
    assert download.value.suggested_filename == f"kvitanciya-{account.number}-{period:%Y-%m}.pdf"
    assert taps <= MAX_TAPS, (slug, taps, trail)
    with scopes_disabled():
        payment = Payment.objects.get(account=account, status="succeeded")
        assert payment.amount == debt

    # The same debt is not offered again.
    page.goto(portal.url(slug, "/overview/"))
    balance = main(page).locator(".balance")
    expect(balance).to_contain_text("ожидает учёта")
    assert f"Оплачено{rub(debt)}₽{today:%d.%m},ожидаетучёта" in squeezed(balance.inner_text())
    expect(main(page).get_by_role("button", name=re.compile(r"^Оплатить \d"))).to_have_count(0)
    main(page).get_by_role("link", name="Оплатить", exact=True).click()
    debt_choice = page.get_by_label(re.compile("^Задолженность"))
    expect(debt_choice).not_to_be_checked()
    debt_choice.check()
    main(page).get_by_role("button", name="Продолжить").click()
    expect(main(page).get_by_role("alert")).to_contain_text("Задолженность уже оплачена")
    expect(main(page).get_by_role("button", name=re.compile("^Да, оплатить ещё раз"))).to_be_visible()
    assert not axe_violations(page, every_impact=True), axe_violations(page, every_impact=True)
    with scopes_disabled():
        assert Payment.objects.filter(account=account).count() == 1


@pytest.mark.parametrize("viewport", [SCREEN, {"width": 1280, "height": 800}], ids=["360", "1280"])
def test_the_pages_of_the_routine_pass_axe_whole(portal, browser, viewport):
    """axe-core finds nothing, of any impact, on the home, the menu opened, the pay page, the
    readings page, a payment's pages and «Мои платежи», at 360 and 1280 px."""
    if not AXE.exists():
        pytest.skip(f"{AXE} is missing: `make axe` installs it")
    page = new_page(browser, viewport, bypass_csp=True)
    found = []

    def check(what):
        assert_fits(page)
        found.extend(f"{what} ({page.url}): {v}" for v in axe_violations(page, every_impact=True))

    log_in_as_demo_consumer(page, portal, "gaz")
    account = linked_accounts("gaz")[0]
    check("home")
    menu = page.get_by_role("navigation", name="Главное меню")
    if viewport["width"] < 768:
        expect(menu.get_by_role("link", name="Оплата")).to_be_hidden()
        menu.locator("summary").click()
    expect(menu.get_by_role("link")).to_have_text(["Главная", "Оплата", "Показания", "Счета", "Обращения",
                                                   "Профиль", "Поддержка"])
    expect(menu.get_by_role("link", name="Главная")).to_have_attribute("aria-current", "page")
    check("home, the menu open")
    menu.get_by_role("link", name="Оплата").click()
    expect(page).to_have_url(portal.url("gaz", f"/personal/{account.pk}/pay/"))
    check("pay page")
    main(page).get_by_role("button", name="Продолжить").click()
    check("confirm page")
    main(page).get_by_role("button", name="Перейти к оплате").click()
    main(page).get_by_role("button", name="Вернуться в магазин, не оплатив").click()
    expect(heading(page)).to_have_text("Проверяем оплату…")
    expect(main(page)).to_contain_text("мы сами спросим платёжный сервис не позже")
    check("status page, pending")
    page.goto(portal.url("gaz", f"/personal/{account.pk}/readings/"))
    check("readings page")
    page.goto(portal.url("gaz", f"/personal/{account.pk}/payments/"))
    check("my payments")
    # The account switch: a choice applies at once.
    other = linked_accounts("gaz")[1]
    page.get_by_label("Лицевой счёт").select_option(str(other.pk))
    expect(page).to_have_url(portal.url("gaz", f"/personal/{other.pk}/payments/"))
    page.context.close()
    assert not found, "\n".join(found)


def test_a_home_without_accounts_has_no_paying_in_its_menu(portal, phone_800):
    """rosseti's applicants: no personal accounts, so neither paying, readings nor invoices."""
    page = phone_800
    log_in_as_demo_consumer(page, portal, "rosseti")
    assert page.locator("header.site-header").bounding_box()["height"] <= HEADER_MAX
    menu = page.get_by_role("navigation", name="Главное меню")
    menu.locator("summary").click()
    expect(menu.get_by_role("link")).to_have_text(["Главная", "Обращения", "Профиль", "Поддержка"])
    menu.locator("summary").click()
    page.reload()
    save_screen(page, "rosseti")
