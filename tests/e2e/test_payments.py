"""Payments in Chromium on a 360-px phone: gaz's demo consumer pays the debt of the first
account (Межрегионгаз Рязань, in debt) through the sandbox; pays another amount, which the
bank declines; passes a reading on the way to paying and leaves the sandbox without paying;
and billing's export takes exactly the payments that went through.

gaz's reading window (15–25) is not strict, so a reading is taken on any day of the month.
Celery runs eagerly here and the sandbox notifies in-process (PAYMENT_SANDBOX_DELIVERY), so a
payment's status is applied by the time the sandbox sends the payer back to the portal.

Every page of the flows is checked for horizontal scrolling at 360 px; the first three tests
also run axe-core on them (CSP bypassed to inject it), the fourth watches for Content Security
Policy complaints instead.
"""

import csv
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from billing.models import Invoice
from meters.models import Meter
from payments.models import Payment
from portal.models import Tenant
from portal.scoping import scopes_disabled

from .browser import (
    PHONE,
    Audit,
    assert_fits,
    baseline,
    heading,
    last_period_total,
    linked_accounts,
    log_in_as_demo_consumer,
    main,
    month_year,
    new_page,
    rub,
    shown,
    squeezed,
    typed,
    watch_policy,
)

SLUG = "gaz"
# The product's yardstick: 6 taps after login to see what you owe, pass readings, pay and
# download a receipt. Paying the debt takes 4 («Оплатить», «Продолжить», «Перейти к оплате»,
# the provider's «Оплатить»); more than 5 would leave too little for the rest.
MAX_TAPS_TO_PAY_THE_DEBT = 5
PUBLIC_ID = re.compile(r"/payments/([0-9a-f-]{36})/")


@pytest.fixture
def watched_phone(browser):
    """A phone under the site's CSP; page.complaints collects every policy complaint."""
    page = watch_policy(new_page(browser, PHONE))
    yield page
    page.context.close()


# What the pages look like to a person.


def details(page):
    """The «term: value» list of the confirmation and sandbox pages, as a dict."""
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll("main dl.details dt")]
        .map(dt => [dt.textContent.trim(), dt.nextElementSibling.textContent.replace(/\\s+/g, " ").trim()]))""")


def debt_choice(page):
    return page.get_by_label(re.compile("^Задолженность"))


def amount_field(page):
    return page.get_by_label("Сумма, ₽")


def continue_(page):
    main(page).get_by_role("button", name="Продолжить").click()


def other_amount(page, text):
    page.get_by_label("Другую сумму").check()
    amount_field(page).fill(text)
    continue_(page)


def payment_on(page):
    """The payment whose confirmation or status page the browser shows."""
    public_id = PUBLIC_ID.search(page.url).group(1)
    with scopes_disabled():
        return Payment.objects.select_related("account").get(public_id=public_id)


def to_the_sandbox(page, amount):
    """From the confirmation page to the provider's page, which asks for the same amount."""
    main(page).get_by_role("button", name="Перейти к оплате").click()
    expect(heading(page)).to_have_text("Тестовая касса")
    assert squeezed(details(page)["Сумма"]) == f"{rub(amount)}₽"


def sandbox_button(page, name):
    return main(page).get_by_role("button", name=name, exact=True)


def expect_paid(page, amount, number):
    expect(heading(page)).to_have_text("Оплата прошла")
    text = squeezed(main(page).get_by_role("status").inner_text())
    assert f"Оплачено{rub(amount)}₽полицевомусчёту{number}." in text, text


def refresh_of(page):
    return page.locator("meta[http-equiv=refresh]")


def awaiting_notice(page):
    return main(page).locator(".notice").filter(has_text="ожидает учёта")


def payment_rows(page):
    return main(page).get_by_role("table", name="Платежи в личном кабинете").locator("tbody tr")


def first_account():
    """The demo consumer's current gaz account, the last period and what is owed for it."""
    account = linked_accounts(SLUG)[0]
    period, debt = last_period_total(account)
    assert debt > 0, "the demo consumer's first gaz account is in debt"
    return account, period, debt


# 1. The debt: from the overview to «Оплата прошла» in 4 taps; «ожидает учёта», «Мои платежи».


def test_pays_the_debt_from_the_overview(portal, axe_phone, outbox):
    page = axe_phone
    audit = Audit(page)
    account, period, debt = first_account()
    with scopes_disabled():
        invoice_number = Invoice.objects.get(account=account, period=period).number
    taps = 0
    trail = []  # the pages the browser went through, for the message of a failure
    page.on("framenavigated", lambda frame: trail.append(frame.url) if frame == page.main_frame else None)

    def tap(locator):
        nonlocal taps
        taps += 1
        locator.click()

    login = log_in_as_demo_consumer(page, portal, SLUG)
    # Tap 0: what they owe is on the screen they land on.
    expect(main(page).locator(".balance__label")).to_have_text("К оплате")
    assert squeezed(main(page).locator(".balance__amount").inner_text()) == f"{rub(debt)}₽"

    tap(main(page).get_by_role("link", name="Оплатить", exact=True))
    expect(heading(page)).to_have_text("Оплата")
    expect(page).to_have_url(portal.url(SLUG, f"/personal/{account.pk}/pay/"))
    expect(debt_choice(page)).to_be_checked()
    label = main(page).locator(f"label[for='{debt_choice(page).get_attribute('id')}']")
    assert squeezed(label.inner_text()) == squeezed(f"Задолженность {rub(debt)} ₽ (за {month_year(period).lower()})")
    audit("pay page")

    tap(main(page).get_by_role("button", name="Продолжить"))
    expect(heading(page)).to_have_text("Подтверждение оплаты")
    confirmed = details(page)
    assert squeezed(confirmed.pop("Сумма")) == f"{rub(debt)}₽"
    assert confirmed == {
        "Поставщик": account.supplier.name, "Лицевой счёт": account.number,
        "Договор": f"№ {account.contract_number}" if account.contract_number else
        "нет в расчётах: оплата по номеру лицевого счёта", "Счёт": invoice_number,
        "Расчётный период": month_year(period), "Назначение": "Оплата задолженности",
    }
    payment = payment_on(page)
    assert (payment.status, payment.kind, payment.amount, payment.period) == ("created", "debt", debt, period)
    audit("confirm page")

    tap(main(page).get_by_role("button", name="Перейти к оплате"))
    expect(heading(page)).to_have_text("Тестовая касса")
    assert squeezed(details(page)["Сумма"]) == f"{rub(debt)}₽"
    assert account.number in details(page)["Назначение"]
    audit("sandbox page")

    tap(sandbox_button(page, "Оплатить"))
    expect_paid(page, debt, account.number)
    assert taps <= MAX_TAPS_TO_PAY_THE_DEBT, (taps, trail)
    assert taps == 4, (taps, trail)
    expect(main(page).get_by_role("status")).to_contain_text(f"Квитанция об оплате отправлена на {login}.")
    expect(refresh_of(page)).to_have_count(0)
    audit("status page, paid")
    payment.refresh_from_db()
    assert payment.status == "succeeded" and payment.provider_payment_id
    # The e-mail receipt, once.
    receipts = [message for message in outbox.messages(to=login) if "принята" in message.subject]
    assert [message.subject for message in receipts] == [f"Оплата {debt:.2f} ₽ принята".replace(".", ",")]
    assert payment.provider_payment_id in receipts[0].text

    # The overview: paid in the portal, waiting for billing to book it.
    main(page).get_by_role("link", name="Вернуться в личный кабинет").click()
    expect(awaiting_notice(page)).to_have_count(1)
    assert squeezed(awaiting_notice(page).inner_text()) == squeezed(
        f"Оплачено {rub(debt)} ₽ в личном кабинете, ожидает учёта.")
    assert_fits(page)

    main(page).get_by_role("link", name="Мои платежи").click()
    expect(heading(page)).to_have_text("Мои платежи")
    expect(payment_rows(page)).to_have_count(1)
    assert squeezed(payment_rows(page).locator("td.num").inner_text()) == rub(debt)
    expect(payment_rows(page).locator(".status")).to_have_text("оплачен")
    audit("my payments")
    # Its date leads back to its status page.
    payment_rows(page).get_by_role("link").click()
    expect_paid(page, debt, account.number)

    audit.assert_clean()


# 2. Another amount: the form's refusals in Russian, then the bank's, then a new try.


def test_pays_another_amount_and_the_bank_declines(portal, axe_phone):
    page = axe_phone
    audit = Audit(page)
    account, _period, _debt = first_account()
    log_in_as_demo_consumer(page, portal, SLUG)
    main(page).get_by_role("link", name="Оплатить", exact=True).click()
    expect(heading(page)).to_have_text("Оплата")

    # The alert around the field's error list; Django 5.2 gives the list id="id_amount_error",
    # which the field's aria-describedby names beside its hint.
    error = main(page).locator(".field-errors").filter(has=page.locator("#id_amount_error"))
    summary = main(page).locator("#error-summary")
    for text, message in [
        ("0", "Сумма должна быть больше нуля."),
        ("10,555", "Не больше двух знаков после запятой: рубли и копейки."),
        ("десять", "Введите сумму числом, например 1500 или 1500,50."),
        ("", "Введите сумму."),
    ]:
        other_amount(page, text)
        expect(error).to_have_text(message)
        expect(error).to_have_attribute("role", "alert")
        expect(amount_field(page)).to_have_value(text)
        expect(amount_field(page)).to_have_attribute("aria-invalid", "true")
        expect(amount_field(page)).to_have_attribute("aria-describedby", "amount-help id_amount_error")
        expect(page.get_by_label("Другую сумму")).to_be_checked()
        # The summary above the form says it too, and has the focus (static/js/portal.js).
        expect(summary).to_contain_text(f"Сумма, ₽: {message}")
        expect(summary).to_be_focused()
        audit(f"pay page, {text!r} refused")
    with scopes_disabled():
        assert not Payment.objects.filter(account=account).exists()

    other_amount(page, "250,50")
    expect(heading(page)).to_have_text("Подтверждение оплаты")
    assert squeezed(details(page)["Сумма"]) == "250,50₽"
    assert details(page)["Назначение"] == "Оплата суммы"
    assert details(page)["Лицевой счёт"] == account.number
    payment = payment_on(page)
    assert (payment.kind, str(payment.amount)) == ("amount", "250.50")
    audit("confirm page, an amount")

    to_the_sandbox(page, "250.50")
    sandbox_button(page, "Отказ банка: недостаточно средств").click()
    expect(heading(page)).to_have_text("Оплата не прошла")
    expect(main(page).get_by_role("alert")).to_have_text("Недостаточно средств на карте. Деньги не списаны.")
    expect(refresh_of(page)).to_have_count(0)
    audit("status page, declined")
    payment.refresh_from_db()
    assert (payment.status, payment.failure_reason) == ("canceled", "Недостаточно средств на карте")

    main(page).get_by_role("link", name="Попробовать ещё раз").click()
    expect(page).to_have_url(portal.url(SLUG, f"/personal/{account.pk}/pay/"))
    expect(heading(page)).to_have_text("Оплата")
    expect(debt_choice(page)).to_be_checked()  # a fresh form
    expect(amount_field(page)).to_have_value("")

    # «Мои платежи»: refused, with the reason; the overview announces nothing paid.
    main(page).get_by_role("link", name="Мои платежи").click()
    expect(payment_rows(page)).to_have_count(1)
    expect(payment_rows(page)).to_contain_text("отменён: Недостаточно средств на карте")
    page.goto(portal.url(SLUG, "/overview/"))
    expect(heading(page)).to_contain_text("Личный кабинет")
    expect(awaiting_notice(page)).to_have_count(0)

    audit.assert_clean()


# 3. Readings, then pay: the reading stays saved whatever becomes of the payment.


def test_passes_a_reading_then_leaves_the_sandbox_without_paying(portal, axe_phone):
    page = axe_phone
    audit = Audit(page)
    account, _period, debt = first_account()
    with scopes_disabled():
        today = Tenant.objects.get(slug=SLUG).today()
        meter = next(meter for meter in Meter.objects.filter(account=account, archived_on__isnull=True)
                     .order_by("serial") if meter.verified_until is None or meter.verified_until >= today)
        value = baseline(meter, 1, today) + 1
    log_in_as_demo_consumer(page, portal, SLUG)
    main(page).get_by_role("link", name="Оплатить", exact=True).click()

    main(page).get_by_role("link", name="Передать показания и оплатить").click()
    expect(heading(page)).to_have_text("Передать показания и оплатить")
    last = page.locator(f"#m{meter.pk}z1_last")
    expect(last).to_contain_text(f"Последнее: {shown(meter, value - 1)}")
    audit("readings page, then pay")
    page.locator(f"#m{meter.pk}z1").fill(typed(meter, value))
    send = main(page).get_by_role("button", name="Передать и перейти к оплате")
    send.click()
    # Either the pay page, or a question about the value («Всё правильно?») to tick first.
    question = page.locator(f"#meter-{meter.pk}").get_by_label("Да, всё правильно")
    pay_heading = page.get_by_role("heading", level=1, name="Оплата", exact=True)
    expect(pay_heading.or_(question)).to_be_visible()
    if question.is_visible():
        question.check()
        send.click()

    expect(pay_heading).to_be_visible()
    service = meter.get_service_display()
    reading_line = f"{service[:1].upper()}{service[1:]} № {meter.serial}: {shown(meter, value)}"
    # The pay page lists what was passed; only the flash «Показания переданы: 1.» is announced.
    passed = main(page).locator(".notice").filter(has_text="Показания переданы:")
    expect(passed).not_to_have_attribute("role", "status")
    expect(passed.get_by_role("listitem")).to_have_text([reading_line])
    expect(page.locator(".messages[role=status]")).to_contain_text("Показания 1 прибора приняты")
    expect(main(page).get_by_role("link", name="Передать показания и оплатить")).to_have_count(0)
    expect(debt_choice(page)).to_be_checked()
    audit("pay page, with readings")

    continue_(page)
    expect(heading(page)).to_have_text("Подтверждение оплаты")
    expect(main(page)).to_contain_text("Вместе с оплатой переданы показания:")
    expect(main(page).get_by_role("listitem").filter(has_text=f"№ {meter.serial}")).to_have_text(reading_line)
    assert details(page)["Назначение"] == "Оплата с передачей показаний"
    assert squeezed(details(page)["Сумма"]) == f"{rub(debt)}₽"
    audit("confirm page, with readings")
    payment = payment_on(page)
    with scopes_disabled():
        reading = payment.readings.get()
    assert (reading.meter_id, reading.value, reading.taken_on) == (meter.pk, value, today)

    to_the_sandbox(page, debt)
    sandbox_button(page, "Вернуться в магазин, не оплатив").click()
    expect(heading(page)).to_have_text("Проверяем оплату…")
    assert squeezed(main(page).get_by_role("status").inner_text()) == squeezed(
        f"Ждём ответа платёжного сервиса о платеже на {rub(debt)} ₽. Результат появится здесь сам.")
    # No <meta refresh> (it restarts a screen reader): the page's script asks for the status.
    expect(refresh_of(page)).to_have_count(0)
    assert_fits(page)  # axe on this page: test_axe_on_the_pending_status_page below
    page.wait_for_event("response", lambda response: "format=json" in response.url, timeout=8_000)
    expect(heading(page)).to_have_text("Проверяем оплату…")
    payment.refresh_from_db()
    assert payment.status == "pending"

    # The provider's page is a tap away, still waiting for a choice.
    main(page).get_by_role("link", name="Вернуться на страницу оплаты").click()
    expect(heading(page)).to_have_text("Тестовая касса")
    expect(sandbox_button(page, "Оплатить")).to_be_visible()

    # The reading stays saved: the readings page shows it as the last one.
    page.goto(portal.url(SLUG, f"/personal/{account.pk}/readings/"))
    expect(last).to_contain_text(f"Последнее: {shown(meter, value)} на {today:%d.%m.%Y}")
    expect(last).to_contain_text("передано вами, принято")
    with scopes_disabled():
        reading.refresh_from_db()
    assert (reading.value, reading.status, reading.submitted_at is not None) == (value, "submitted", True)

    audit.assert_clean()


def test_axe_on_the_pending_status_page(portal, axe_phone):
    page = axe_phone
    account, _period, debt = first_account()
    log_in_as_demo_consumer(page, portal, SLUG)
    page.goto(portal.url(SLUG, f"/personal/{account.pk}/pay/"))
    continue_(page)
    to_the_sandbox(page, debt)
    sandbox_button(page, "Вернуться в магазин, не оплатив").click()
    expect(heading(page)).to_have_text("Проверяем оплату…")
    audit = Audit(page)
    audit("status page, pending")
    audit.assert_clean()


# 4. Billing's export: the payments that went through, and nothing else.


def test_export_takes_only_the_payments_that_went_through(portal, watched_phone, tmp_path):
    page = watched_phone
    account, _period, debt = first_account()
    log_in_as_demo_consumer(page, portal, SLUG)
    pay_url = portal.url(SLUG, f"/personal/{account.pk}/pay/")
    made = {}

    def pay(name, amount=None, *, outcome):
        page.goto(pay_url)
        if amount is None:
            continue_(page)
        else:
            other_amount(page, amount)
        expect(heading(page)).to_have_text("Подтверждение оплаты")
        made[name] = payment_on(page)
        to_the_sandbox(page, made[name].amount)
        outcome()

    def three_d_secure():
        sandbox_button(page, "Оплатить с проверкой 3-D Secure").click()
        expect(heading(page)).to_have_text("Проверка 3-D Secure")
        assert_fits(page)
        page.get_by_label("Код из SMS").fill("12345")
        main(page).get_by_role("button", name="Подтвердить").click()

    pay("debt", outcome=sandbox_button(page, "Оплатить").click)
    expect_paid(page, debt, account.number)
    pay("declined", "300", outcome=sandbox_button(page, "Отказ банка: недостаточно средств").click)
    expect(heading(page)).to_have_text("Оплата не прошла")
    pay("3-D Secure", "1 000,01", outcome=three_d_secure)
    expect_paid(page, "1000.01", account.number)
    assert_fits(page)
    pay("abandoned", "400", outcome=sandbox_button(page, "Вернуться в магазин, не оплатив").click)
    expect(heading(page)).to_have_text("Проверяем оплату…")

    with scopes_disabled():
        for payment in made.values():
            payment.refresh_from_db()
    assert {name: payment.status for name, payment in made.items()} == {
        "debt": "succeeded", "declined": "canceled", "3-D Secure": "succeeded", "abandoned": "pending"}
    succeeded = [made["debt"], made["3-D Secure"]]
    # The overview adds the paid amounts up.
    page.goto(portal.url(SLUG, "/overview/"))
    assert squeezed(awaiting_notice(page).inner_text()) == squeezed(
        f"Оплачено {rub(sum(p.amount for p in succeeded))} ₽ в личном кабинете (2 платежа), ожидает учёта.")

    def export(directory):
        call_command("export_payments", "--tenant", SLUG, "--out", str(directory), "--since-last")
        (path,) = directory.glob("payments_export_*.csv")
        with open(path, encoding="utf-8", newline="") as stream:
            return list(csv.DictReader(stream, delimiter=";"))

    rows = export(tmp_path / "export")
    by_id = {payment.provider_payment_id: payment for payment in succeeded}
    assert sorted(row["provider_payment_id"] for row in rows) == sorted(by_id)
    for row in rows:
        payment = by_id[row["provider_payment_id"]]
        assert (row["supplier"], row["account_number"], row["amount"], row["provider"], row["invoice_number"]) == (
            account.supplier.code, account.number, f"{payment.amount:.2f}", "sandbox", payment.invoice_number)
    # Sent once: the next export has none of them.
    assert export(tmp_path / "next") == []

    assert not page.complaints, page.complaints
