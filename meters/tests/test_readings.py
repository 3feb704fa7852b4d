"""Submitting readings: the rules, the window in the tenant's zone, replacement and
correction, a race of two tabs, and the page; the page attacked (values that are not numbers
in disguise, fields for meters and zones that are not the account's, confirmations forged up
front, the meter page reached by another account's id)."""

import datetime
import threading
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.factories import UserFactory
from billing.factories import AccountLinkFactory, SupplierFactory
from billing.models import Account
from meters import services
from meters.factories import make_meter
from meters.models import Meter, Reading, ReadingWindow
from portal.scoping import scopes_disabled, tenant_scope

MOSCOW = ZoneInfo("Europe/Moscow")


def at(day, hour=12, minute=0, zone=MOSCOW):
    """An aware moment of November 2026 in ``zone``."""
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=zone)


@pytest.fixture
def account(tenants):
    alpha, _beta = tenants
    supplier = SupplierFactory(tenant=alpha, code="gas")
    with scopes_disabled():
        return Account.objects.create(tenant=alpha, supplier=supplier, number="1000000001",
                                      subscriber_type="individual")


def submit(account, meter, values, *, when=at(20), confirmed=(), user=None):
    if not isinstance(values, dict):
        values = {1: values}
    with tenant_scope(account.tenant):
        return services.readings_submit(account=account, meter=meter, values=values, now=when,
                                        confirmed=confirmed, user=user)


def reasons(submission):
    return [problem.message for problem in submission.problems]


MONTHLY = [(datetime.date(2026, month, 25), 100 + 10 * month) for month in range(5, 11)]  # 10 a month


# --- The window -------------------------------------------------------------------------


def test_window_edges():
    window = services.Window(15, 25, strict=True)
    assert window.on(datetime.date(2026, 11, 14)).state == "before"
    assert window.on(datetime.date(2026, 11, 15)).state == "open"
    last = window.on(datetime.date(2026, 11, 25))
    assert last.state == "open" and last.days == 0 and "сегодня последний день" in last.text()
    assert window.on(datetime.date(2026, 11, 22)).text() == (
        "Приём показаний открыт по 25 ноября, осталось 4 дня: переданные сейчас войдут в расчёт за ноябрь 2026.")
    assert window.on(datetime.date(2026, 11, 26)).state == "after"
    # A window to the 31st ends with the month's last day.
    assert services.Window(20, 31, False).on(datetime.date(2026, 2, 28)).days == 0


@pytest.mark.django_db
def test_the_last_day_of_a_strict_window_ends_at_midnight_in_the_tenants_zone(account):
    meter = make_meter(account, digits=5, decimals=3, history=MONTHLY)
    with scopes_disabled():
        ReadingWindow.objects.create(tenant=account.tenant, first_day=15, last_day=25, strict=True)
    # 25 November, 23:59 in Moscow: still open.
    assert submit(account, meter, "205", when=at(25, 23, 59)).saved
    # The same moment is already the 26th in Samara (UTC+4): closed for a Samara tenant.
    account.tenant.time_zone = "Europe/Samara"
    account.tenant.save()
    refused = submit(account, meter, "206", when=at(25, 23, 59))
    assert not refused.saved and reasons(refused)[0].startswith("Не принято: Приём показаний за ноябрь 2026 закончился")


@pytest.mark.django_db
def test_out_of_a_lenient_window_a_reading_counts_for_the_next_period(account):
    meter = make_meter(account, digits=5, decimals=3, history=MONTHLY)
    submission = submit(account, meter, "205", when=at(27))
    assert submission.saved and submission.next_period
    assert submission.readings[0].period == datetime.date(2026, 12, 1)


@pytest.mark.django_db
def test_the_most_specific_window_wins(account):
    supplier = account.supplier
    with scopes_disabled():
        ReadingWindow.objects.create(tenant=account.tenant, first_day=1, last_day=28)
        ReadingWindow.objects.create(tenant=account.tenant, subscriber_type="individual", first_day=10, last_day=20)
        ReadingWindow.objects.create(tenant=account.tenant, supplier=supplier, first_day=20, last_day=25, strict=True)
    with tenant_scope(account.tenant):
        assert services.reading_window(account) == services.Window(20, 25, True)


# --- The rules --------------------------------------------------------------------------


@pytest.mark.django_db
def test_values_are_refused_with_what_to_do(account):
    meter = make_meter(account, digits=5, decimals=1, history=MONTHLY)
    assert "Введите число" in reasons(submit(account, meter, "12a"))[0]
    assert "5 разрядов" in reasons(submit(account, meter, "123456"))[0]
    assert "не больше 1 знака" in reasons(submit(account, meter, "205,25"))[0]
    integer = make_meter(account, digits=5, decimals=0, history=MONTHLY)
    assert "целые числа" in reasons(submit(account, integer, "205.5"))[0]
    assert submit(account, integer, "205,0").saved  # a zero after the point is no decimal
    assert submit(account, meter, " 00205,5 ").saved  # leading zeros as the dial shows them


@pytest.mark.django_db
def test_archived_and_unverified_meters_and_the_wrong_zones_are_refused(account):
    archived = make_meter(account, digits=5, decimals=3, history=MONTHLY)
    unverified = make_meter(account, digits=5, decimals=3, history=MONTHLY)
    two_zones = make_meter(account, digits=5, decimals=3, zones=2, history=MONTHLY)
    with scopes_disabled():
        Meter.objects.filter(pk=archived.pk).update(archived_on=datetime.date(2026, 11, 1))
        Meter.objects.filter(pk=unverified.pk).update(verified_until=datetime.date(2026, 11, 19))
    archived.refresh_from_db()
    unverified.refresh_from_db()
    assert "снят с учёта" in reasons(submit(account, archived, "205"))[0]
    refusal = reasons(submit(account, unverified, "205"))[0]
    assert "Срок поверки прибора истёк 19.11.2026" in refusal and "Закажите поверку" in refusal
    assert "их 2" in reasons(submit(account, two_zones, {1: "205"}))[0]
    assert submit(account, two_zones, {1: "205", 2: "206"}).saved


@pytest.mark.django_db
def test_lower_than_the_last_reading_asks_to_confirm_and_stores_the_answer(account):
    meter = make_meter(account, digits=5, decimals=3, history=MONTHLY)  # last: 200 on 25 October
    asked = submit(account, meter, "150")
    assert not asked.saved and asked.to_confirm[0].confirm == "lower"
    assert "Значение меньше предыдущего (200 на 25.10.2026). Счётчик заменён или прошёл через ноль?" in reasons(asked)
    confirmed = submit(account, meter, "150", confirmed={"lower"})
    assert confirmed.saved and confirmed.readings[0].confirmed_lower


@pytest.mark.django_db
def test_an_estimate_is_no_baseline_for_lower(account):
    meter = make_meter(account, digits=5, decimals=3,
                       history=MONTHLY + [(datetime.date(2026, 11, 1), "900", "estimated")])
    assert submit(account, meter, "205").saved


@pytest.mark.django_db
def test_consumption_far_above_the_average_asks_to_confirm(account):
    meter = make_meter(account, digits=5, decimals=3, history=MONTHLY)  # 10 a month
    asked = submit(account, meter, "250")  # 50: five times the average
    assert [problem.confirm for problem in asked.problems] == ["jump"]
    assert "Расход 50 — больше обычного в 5 раз (в среднем 10 в месяц)" in reasons(asked)[0]
    # Russian counts: «в 4,3 раза», «в 4 раза».
    assert "больше обычного в 4,3 раза" in reasons(submit(account, meter, "243"))[0]
    assert "больше обычного в 4 раза" in reasons(submit(account, meter, "240"))[0]
    assert submit(account, meter, "225").saved  # 25: within 3x
    assert submit(account, meter, "250", confirmed={"jump"}).readings[0].confirmed_jump


# --- Replacing and correcting -----------------------------------------------------------


@pytest.mark.django_db
def test_a_second_submission_replaces_the_first_until_exported_then_corrects_it(account, tmp_path):
    from meters.exchange import export_readings

    meter = make_meter(account, digits=5, decimals=3, history=MONTHLY)
    first = submit(account, meter, "205").readings[0]
    again = submit(account, meter, "206").readings[0]
    assert again.pk == first.pk and again.value == Decimal("206")
    with tenant_scope(account.tenant):
        export_readings(account.tenant, tmp_path)
    correction = submit(account, meter, "207").readings[0]
    assert correction.pk != first.pk and correction.corrects_id == first.pk
    with scopes_disabled():
        assert list(Reading.objects.filter(meter=meter, submitted_at__isnull=False).order_by("pk")
                    .values_list("value", "status")) == [(Decimal("206"), "exported"), (Decimal("207"), "submitted")]


@pytest.mark.django_db(transaction=True)
def test_two_tabs_submitting_at_once_give_one_reading(account):
    meter = make_meter(account, digits=5, decimals=3, history=MONTHLY)
    start = threading.Barrier(2)
    results = []

    def tab():
        try:
            start.wait(5)
            results.append(submit(account, meter, "205").saved)
        finally:
            connection.close()

    tabs = [threading.Thread(target=tab) for _ in range(2)]
    for thread in tabs:
        thread.start()
    for thread in tabs:
        thread.join(10)
    assert results == [True, True]
    with scopes_disabled():
        assert Reading.objects.filter(meter=meter, submitted_at__isnull=False).count() == 1


# --- The page ---------------------------------------------------------------------------


@pytest.fixture
def consumer(account, tenant_client):
    user = UserFactory(tenant=account.tenant)
    with scopes_disabled():
        AccountLinkFactory(user=user, account=account)
    client = tenant_client(account.tenant)
    client.force_login(user)
    return user, client


@pytest.mark.django_db
def test_the_page_takes_a_plain_and_a_two_zone_meter_and_asks_before_saving_a_drop(account, consumer):
    _user, client = consumer
    plain = make_meter(account, digits=5, decimals=3, history=MONTHLY)
    zoned = make_meter(account, digits=5, decimals=3, zones=2, history=MONTHLY)
    url = f"/personal/{account.pk}/readings/"
    page = client.get(url).content.decode()
    assert f'name="m{plain.pk}z1"' in page and f'name="m{zoned.pk}z2"' in page and "Последнее: 200" in page
    response = client.post(url, {f"m{plain.pk}z1": "205", f"m{zoned.pk}z1": "150", f"m{zoned.pk}z2": "206"})
    page = response.content.decode()
    assert response.status_code == 200 and "Счётчик заменён" in page
    # No success banner while a meter waits for «Да, всё правильно»: the banner says it waits.
    assert "Показания 1 прибора приняты. Ещё 1 прибор ждёт вашего «Да, всё правильно» ниже" in page
    assert "message--success" not in page
    assert "Не передано: ждём вашего «Да, всё правильно» ниже." in page
    assert 'value="150"' in page and f'name="m{zoned.pk}_lower"' in page
    response = client.post(url, {f"m{zoned.pk}z1": "150", f"m{zoned.pk}z2": "206", f"m{zoned.pk}_lower": "1"})
    assert response.status_code == 302
    with scopes_disabled():
        assert Reading.objects.filter(submitted_at__isnull=False).count() == 3


@pytest.mark.django_db
def test_the_page_is_the_account_owners_only(account, consumer, tenant_client, tenants):
    _alpha, beta = tenants
    make_meter(account, digits=5, decimals=3)
    stranger = UserFactory(tenant=account.tenant)
    client = tenant_client(account.tenant)
    client.force_login(stranger)
    assert client.get(f"/personal/{account.pk}/readings/").status_code == 404
    assert client.post(f"/personal/{account.pk}/readings/", {"m1z1": "1"}).status_code == 404
    assert tenant_client(account.tenant).get(f"/personal/{account.pk}/readings/").status_code == 302


@pytest.mark.django_db
def test_the_pages_query_count_does_not_grow_with_history(account, consumer):
    _user, client = consumer
    short = make_meter(account, digits=5, decimals=3, history=MONTHLY[-2:])
    url = f"/personal/{account.pk}/readings/"
    client.get(url)  # the first request of a session warms caches
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    long_history = [(datetime.date(2024 + (m // 12), m % 12 + 1, 25), 10 * m) for m in range(22)]
    with scopes_disabled():
        for taken_on, value in long_history:
            Reading.objects.create(tenant=account.tenant, meter=short, value=Decimal(value), taken_on=taken_on,
                                   source="amr")
    with CaptureQueriesContext(connection) as after:
        client.get(url)
    assert len(after) == len(before)


@pytest.mark.django_db(transaction=True)
def test_a_replacement_racing_an_export_is_either_sent_or_left_as_a_correction(account, tmp_path, monkeypatch):
    """The export marks the waiting reading between the submission's look-up of it and its
    write: the value stored as sent must be the value in the file."""
    import csv

    from meters.exchange import export_readings

    meter = make_meter(account, digits=5, decimals=3, history=MONTHLY)
    submit(account, meter, "205")
    save, export = Reading.save, {}

    def run_export():
        try:
            with tenant_scope(account.tenant):
                export["result"] = export_readings(account.tenant, tmp_path)
        finally:
            connection.close()

    def save_after_an_export(self, *args, **kwargs):
        if kwargs.get("update_fields") and "thread" not in export:
            export["thread"] = threading.Thread(target=run_export)
            export["thread"].start()
            export["thread"].join(1)  # done by now, unless it waits for a lock of ours
        return save(self, *args, **kwargs)

    monkeypatch.setattr(Reading, "save", save_after_an_export)
    assert submit(account, meter, "206").saved
    export["thread"].join(10)
    with open(export["result"].path, encoding="utf-8") as stream:
        sent = {int(row["reading_id"]): Decimal(row["value"]) for row in csv.DictReader(stream, delimiter=";")}
    with scopes_disabled():
        readings = list(Reading.objects.filter(meter=meter, submitted_at__isnull=False).order_by("pk"))
    assert {reading.pk: reading.value for reading in readings if reading.status == "exported"} == sent
    assert Decimal("206") in {reading.value for reading in readings if reading.status == "submitted"} | set(
        sent.values())


@pytest.mark.django_db
def test_one_box_confirms_the_same_question_for_both_zones(account, consumer):
    _user, client = consumer
    zoned = make_meter(account, digits=5, decimals=3, zones=2, history=MONTHLY)
    url = f"/personal/{account.pk}/readings/"
    page = client.post(url, {f"m{zoned.pk}z1": "150", f"m{zoned.pk}z2": "160"}).content.decode()
    assert page.count("Счётчик заменён") == 2
    assert page.count(f'id="m{zoned.pk}_lower"') == 1


@pytest.mark.django_db
def test_the_page_says_why_billing_rejected_a_reading(account, consumer, tmp_path):
    from meters.exchange import export_readings

    _user, client = consumer
    meter = make_meter(account, digits=5, decimals=0, history=MONTHLY)
    today = account.tenant.today()
    with tenant_scope(account.tenant):
        reading = services.readings_submit(account=account, meter=meter, values={1: "205"}).readings[0]
        export_readings(account.tenant, tmp_path)
    url = f"/personal/{account.pk}/readings/"
    assert "отклонено" not in client.get(url).content.decode()
    with scopes_disabled():
        Reading.objects.filter(pk=reading.pk).update(status="rejected", status_reason="Не совпадает с контрольным")
    page = client.get(url).content.decode()
    assert f"Показание 205 на {today:%d.%m.%Y}" in page
    assert "не принято расчётным центром: Не совпадает с контрольным" in page
    assert "Последнее: 200 на 25.10.2026" in page  # the rejected one is not the last reading


@pytest.mark.django_db
def test_after_months_without_a_reading_the_jump_is_a_months_share(account):
    # 10 a month until May, then nothing from the meter until now (estimates between):
    # 60 over six months is ordinary use, not a jump.
    history = [(datetime.date(2026, month, 25), 10 * month) for month in range(1, 6)]
    meter = make_meter(account, digits=5, decimals=3, history=history)
    assert submit(account, meter, "110").saved


@pytest.mark.django_db
def test_a_reading_staff_enter_for_an_earlier_day_counts_for_that_days_month(account):
    meter = make_meter(account, digits=5, decimals=3, history=MONTHLY)
    with tenant_scope(account.tenant):
        submission = services.readings_submit(
            account=account, meter=meter, values={1: "205"}, access=Reading.Access.STAFF,
            taken_on=datetime.date(2026, 10, 30), now=datetime.datetime(2026, 11, 2, 12, tzinfo=MOSCOW),
        )
    assert submission.saved and submission.readings[0].period == datetime.date(2026, 10, 1)


# --- The page attacked -------------------------------------------------------------------


LAST = datetime.date(2026, 10, 24)


@pytest.fixture
def world(tenants, tenant_client):
    """alpha's consumer with full access to one account (a plain meter, a two-zone one, an
    archived one), and another consumer's account with a meter."""
    alpha, _beta = tenants
    supplier = SupplierFactory(tenant=alpha, code="gas")
    user = UserFactory(tenant=alpha)
    with scopes_disabled():
        mine = Account.objects.create(tenant=alpha, supplier=supplier, number="1000000001", subscriber_type="individual")
        theirs = Account.objects.create(tenant=alpha, supplier=supplier, number="1000000002",
                                        subscriber_type="individual")
        AccountLinkFactory(user=user, account=mine)
        AccountLinkFactory(user=UserFactory(tenant=alpha), account=theirs)
        meters = {
            "plain": Meter.objects.create(tenant=alpha, account=mine, serial="P1", service="gas", digits=5, decimals=3),
            "two": Meter.objects.create(tenant=alpha, account=mine, serial="T1", service="electricity", zones=2,
                                        digits=6, decimals=0),
            "archived": Meter.objects.create(tenant=alpha, account=mine, serial="A1", service="gas",
                                             archived_on=LAST),
            "theirs": Meter.objects.create(tenant=alpha, account=theirs, serial="X1", service="gas"),
        }
        for meter in meters.values():
            for zone in range(1, meter.zones + 1):
                Reading.objects.create(tenant=alpha, meter=meter, zone=zone, value=Decimal("100"), taken_on=LAST,
                                       source="amr")
    client = tenant_client(alpha)
    client.force_login(user)
    return alpha, mine, theirs, meters, client


def portal_readings():
    with scopes_disabled():
        return list(Reading.objects.filter(source="portal"))


@pytest.mark.django_db
@pytest.mark.parametrize("value", [
    "1e3", "١٢٣", "１２３", "12,", ",5", ".5", "0x1", "-150", "+150", "1_500", "150\x00", "1" * 10_000, "150.5.1",
    "150,5,1", "∞", "NaN", "Infinity", "150.0001", "1 5 0 0 0 0", "٫5",
])
def test_values_that_are_not_a_readings_number_are_refused(world, value):
    _alpha, mine, _theirs, meters, client = world
    response = client.post(f"/personal/{mine.pk}/readings/", {f"m{meters['plain'].pk}z1": value})
    assert response.status_code == 200
    assert portal_readings() == []


@pytest.mark.django_db
def test_fields_for_meters_and_zones_that_are_not_the_accounts_are_ignored(world):
    _alpha, mine, _theirs, meters, client = world
    response = client.post(f"/personal/{mine.pk}/readings/", {
        f"m{meters['theirs'].pk}z1": "150", f"m{meters['archived'].pk}z1": "150",
        f"m{meters['plain'].pk}z2": "150", f"m{meters['two'].pk}z3": "150",
    })
    assert response.status_code == 200 and "Введите показания хотя бы одного прибора" in response.content.decode()
    # Only one zone of a two-zone meter: refused, not half-saved.
    client.post(f"/personal/{mine.pk}/readings/", {f"m{meters['two'].pk}z1": "150"})
    assert portal_readings() == []


@pytest.mark.django_db
def test_another_accounts_meter_page_and_readings_are_a_404(world):
    _alpha, mine, theirs, meters, client = world
    assert client.get(f"/personal/{mine.pk}/meters/{meters['theirs'].pk}/").status_code == 404
    assert client.get(f"/personal/{theirs.pk}/meters/{meters['theirs'].pk}/").status_code == 404
    assert client.get(f"/personal/{theirs.pk}/readings/").status_code == 404
    assert client.post(f"/personal/{theirs.pk}/readings/", {f"m{meters['theirs'].pk}z1": "150"}).status_code == 404
    assert client.get(f"/personal/{mine.pk}/meters/{'9' * 30}/").status_code == 404
    assert portal_readings() == []


@pytest.mark.django_db
def test_a_confirmation_is_stored_only_on_the_reading_that_was_asked_about(world):
    """Two zones, one lower than before: «lower» confirmed is that zone's answer. Sent up
    front on a meter with nothing to confirm, it stores no confirmation at all."""
    alpha, mine, _theirs, meters, _client = world
    two, plain = meters["two"], meters["plain"]
    when = datetime.datetime(2026, 11, 20, 12, tzinfo=datetime.UTC)
    with tenant_scope(alpha):
        submission = services.readings_submit(account=mine, meter=two, values={1: "90", 2: "120"},
                                              confirmed={"lower"}, now=when)
        forged = services.readings_submit(account=mine, meter=plain, values={1: "120"},
                                          confirmed={"lower", "jump"}, now=when)
    assert submission.saved and forged.saved
    by_zone = {reading.zone: reading for reading in submission.readings}
    assert by_zone[1].confirmed_lower and not by_zone[2].confirmed_lower
    assert not forged.readings[0].confirmed_lower and not forged.readings[0].confirmed_jump
