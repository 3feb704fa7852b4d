"""Issue 10 in Chromium on a 360-px phone: mef's demo consumer passes readings from the
overview, meets a refusal and a question, submits a plain meter and the two-zone one, then
sees the status move after `export_readings` and an import of billing's verdict.

The demo's date is today: mef's window (20–25) is not strict, so the page takes readings on
any day of the month and, after the 25th, says they count for the next period. Values are
computed from the demo's readings (the last one taken from each meter), so the test holds on
any day.
"""

import datetime
import re

from django.core.management import call_command
from playwright.sync_api import expect

from accounts import demo as accounts_demo
from billing.models import AccountLink
from meters import services
from meters.models import Meter, Reading, ReadingWindow
from meters.states import period_name
from portal.models import Tenant
from portal.scoping import scopes_disabled

from .browser import baseline, expect_signed_in_as, log_in, shown, typed

LOGIN = "consumer@mef.example"
REASON = "Показание не совпадает с контрольным"


def field(page, meter, zone):
    return page.locator(f"#m{meter.pk}z{zone}")


def meter_box(page, meter):
    return page.locator(f"#meter-{meter.pk}")


def submit(page):
    page.get_by_role("button", name="Передать показания").click()


def test_readings_from_the_overview_to_billings_verdict(portal, phone, tmp_path):
    page = phone
    with scopes_disabled():
        mef = Tenant.objects.get(slug="mef")
        today = mef.today()
    log_in(page, portal, "mef", LOGIN, accounts_demo.CONSUMER_PASSWORD)
    expect_signed_in_as(page, LOGIN)
    expect(page).to_have_url(portal.url("mef", "/overview/"))

    # Tap 1: «Передать показания» on the overview.
    page.get_by_role("link", name="Передать показания").click()
    expect(page).to_have_url(re.compile(r"/personal/\d+/readings/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ввод показаний")
    account_id = int(re.search(r"/personal/(\d+)/readings/", page.url).group(1))
    with scopes_disabled():
        assert AccountLink.objects.filter(user__username=LOGIN, account_id=account_id, access="full").exists()
        meters = list(Meter.objects.filter(account_id=account_id, archived_on__isnull=True).order_by("serial"))
        two_zone = next(meter for meter in meters if meter.zones == 2)
        plain = next(meter for meter in meters if meter.zones == 1 and meter.service != "electricity"
                     and (meter.verified_until is None or meter.verified_until >= today))
        last = {(meter.pk, zone): baseline(meter, zone, today) for meter in (plain, two_zone) for zone in (1, 2)
                if zone <= meter.zones}
    window = page.get_by_role("status").filter(has_text="Приём показаний")
    expect(window).to_have_text(services.Window(20, 25, False).on(today).text())
    period = period_name(services.Window(20, 25, False).on(today).period)

    # Refusals: letters, then more whole digits than the meter has.
    field(page, plain, 1).fill("12a")
    submit(page)
    expect(meter_box(page, plain).get_by_role("alert")).to_have_text("Введите число, например 12345 или 12345,6.")
    expect(field(page, plain, 1)).to_have_value("12a")
    field(page, plain, 1).fill("9" * (plain.digits + 1))
    submit(page)
    expect(meter_box(page, plain).get_by_role("alert")).to_have_text(
        f"У прибора {plain.digits} разрядов до запятой, а введено больше.")

    # A question: lower than the last reading. Ticked, it is saved.
    lower = last[plain.pk, 1] - 1
    field(page, plain, 1).fill(typed(plain, lower))
    submit(page)
    expect(meter_box(page, plain).get_by_role("alert")).to_contain_text("Значение меньше предыдущего")
    expect(meter_box(page, plain).get_by_role("alert")).to_contain_text("Счётчик заменён или прошёл через ноль?")
    meter_box(page, plain).get_by_label("Да, всё правильно").check()
    submit(page)
    flash = page.get_by_role("status").filter(has_text="Показания 1 прибора приняты")
    expect(flash).to_have_text(f"Показания 1 прибора приняты и войдут в расчёт за {period}.")
    expect(page.locator(f"#m{plain.pk}z1_last")).to_contain_text(f"Последнее: {shown(plain, lower)}")
    accepted = "принято после окна приёма" if today.day > 25 else "принято"
    expect(page.locator(f"#m{plain.pk}z1_last")).to_contain_text(
        f"передано вами, {accepted}, войдёт в расчёт за {period}")

    # The right value replaces it (not exported yet), with the two-zone meter beside it.
    right = last[plain.pk, 1] + 1
    field(page, plain, 1).fill(typed(plain, right))
    for zone in (1, 2):
        field(page, two_zone, zone).fill(typed(two_zone, last[two_zone.pk, zone] + 1))
    submit(page)
    expect(page.get_by_role("status").filter(has_text="Показания 2 приборов приняты")).to_be_visible()
    for meter, zone in ((plain, 1), (two_zone, 1), (two_zone, 2)):
        line = page.locator(f"#m{meter.pk}z{zone}_last")
        expect(line).to_contain_text(f"Последнее: {shown(meter, last[meter.pk, zone] + 1)} на {today:%d.%m.%Y}")
        expect(line).to_contain_text(f"передано вами, {accepted}, войдёт в расчёт за {period}")
    with scopes_disabled():
        submitted = {(reading.meter_id, reading.zone): reading
                     for reading in Reading.objects.filter(meter__account_id=account_id, submitted_at__isnull=False)}
    assert set(submitted) == {(plain.pk, 1), (two_zone.pk, 1), (two_zone.pk, 2)}  # the lower one was replaced
    assert {reading.status for reading in submitted.values()} == {"submitted"}
    assert submitted[plain.pk, 1].value == right and not submitted[plain.pk, 1].confirmed_lower

    # Exported to billing: «отправлено в расчёт».
    call_command("export_readings", tenant="mef", out=str(tmp_path), since_last=True)
    page.reload()
    for meter, zone in ((plain, 1), (two_zone, 1), (two_zone, 2)):
        expect(page.locator(f"#m{meter.pk}z{zone}_last")).to_contain_text(
            f"передано вами, отправлено в расчётный центр, войдёт в расчёт за {period}")

    # Billing rejects the plain meter's reading: the page and the meter's page say why.
    reading = submitted[plain.pk, 1]
    with scopes_disabled():
        number, supplier = reading.meter.account.number, reading.meter.account.supplier.code
    verdict = tmp_path / "verdict" / "readings.csv"
    verdict.parent.mkdir()
    verdict.write_text(
        "supplier;account_number;serial;zone;value;taken_on;source;portal_reading_id;status;status_reason\n"
        f"{supplier};{number};{plain.serial};1;{reading.value};{reading.taken_on:%Y-%m-%d};portal;{reading.pk};"
        f"rejected;{REASON}\n",
        encoding="utf-8",
    )
    call_command("import_billing", str(verdict), tenant="mef")
    with scopes_disabled():
        reading.refresh_from_db()
    assert (reading.status, reading.status_reason) == ("rejected", REASON)
    page.reload()
    expect(page.locator(f"#m{plain.pk}z1_rejected")).to_have_text(re.compile(
        rf"Показание {re.escape(shown(plain, right))} на {today:%d\.%m\.%Y}\s+—\s+передано вами, не принято расчётным центром: {REASON}"))
    expect(page.locator(f"#m{two_zone.pk}z1_last")).to_contain_text("отправлено в расчётный центр")

    page.goto(portal.url("mef", "/overview/"))
    page.locator(".card").filter(has_text=f"№ {plain.serial}").get_by_role(
        "link", name="Расход по месяцам и история показаний").click()
    expect(page).to_have_url(portal.url("mef", f"/personal/{account_id}/meters/{plain.pk}/"))
    history = page.get_by_role("region", name="История показаний")
    row = history.get_by_role("row").filter(has_text=REASON).first
    expect(row).to_contain_text(shown(plain, right, grouped=True))
    expect(row).to_contain_text(f"не принято расчётным центром: {REASON}")


def test_the_other_refusals_and_the_question_about_a_jump(portal, phone):
    """What the first walk does not meet: a meter past its verification, a jump far above
    the average (asked, then saved), a strict window that is closed today. An archived meter
    is not on the page at all."""
    page = phone
    with scopes_disabled():
        mef = Tenant.objects.get(slug="mef")
        today = mef.today()
        account_id = AccountLink.objects.filter(user__username=LOGIN).order_by("linked_at", "pk")[0].account_id
        meters = list(Meter.objects.filter(account_id=account_id, archived_on__isnull=True, zones=1).order_by("serial"))
        unverified, jumpy = meters[0], meters[1]
        Meter.objects.filter(pk=unverified.pk).update(verified_until=today - datetime.timedelta(days=1))
        archived = Meter.objects.filter(account_id=account_id, zones=2).first()
        Meter.objects.filter(pk=archived.pk).update(archived_on=today - datetime.timedelta(days=1))
        jump_base = baseline(jumpy, 1, today)
    log_in(page, portal, "mef", LOGIN, accounts_demo.CONSUMER_PASSWORD)
    page.goto(portal.url("mef", f"/personal/{account_id}/readings/"))

    field(page, unverified, 1).fill("1")
    submit(page)
    expect(meter_box(page, unverified).get_by_role("alert")).to_contain_text("Срок поверки прибора истёк")
    expect(meter_box(page, unverified).get_by_role("alert")).to_contain_text("Закажите поверку или замену прибора")

    huge = jump_base + 500  # water: a few m³ a month
    field(page, jumpy, 1).fill(typed(jumpy, huge))
    submit(page)
    expect(meter_box(page, jumpy).get_by_role("alert")).to_contain_text("больше обычного")
    expect(meter_box(page, jumpy).get_by_role("alert")).to_contain_text("Всё правильно?")
    meter_box(page, jumpy).get_by_label("Да, всё правильно").check()
    submit(page)
    expect(page.get_by_role("status").filter(has_text="Показания 1 прибора приняты")).to_be_visible()
    with scopes_disabled():
        assert Reading.objects.get(meter=jumpy, submitted_at__isnull=False).confirmed_jump
    assert f"m{archived.pk}z1" not in page.content()

    # A strict window that does not include today refuses, saying so (a tab opened before it
    # closed), and the page disables the form, saying when it opens.
    first, last = (20, 28) if today.day < 15 else (1, 5)
    field(page, jumpy, 1).fill(typed(jumpy, huge + 1))
    with scopes_disabled():
        ReadingWindow.objects.filter(tenant=mef).update(first_day=first, last_day=last, strict=True)
    sentence = services.Window(first, last, True).on(today).text()
    submit(page)
    expect(meter_box(page, jumpy).get_by_role("alert")).to_have_text(f"Не принято: {sentence}")
    expect(page.get_by_role("status").filter(has_text="Приём показаний")).to_have_text(sentence)
    expect(field(page, jumpy, 1)).to_be_disabled()
    expect(page.get_by_role("button", name="Передать показания")).to_be_disabled()
