"""Consumption by month: the selector's differences, the SVG chart, and the meter page
reached only through the user's own full link."""

import datetime
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.factories import UserFactory
from billing import fragments
from billing.factories import AccountFactory, AccountLinkFactory, SupplierFactory
from meters import charts, selectors
from meters.factories import make_meter
from meters.models import Reading
from meters.selectors import State, add_months, month_start
from meters.states import period_name
from portal.scoping import scopes_disabled, tenant_scope

SVG = "{http://www.w3.org/2000/svg}"
D = datetime.date
# The meters here: electric, verified for years to come.
ELECTRIC = {"service": "electricity", "verified_until": D(2031, 1, 1)}


def read(meter, taken_on, value, source="amr", *, zone=1, status=""):
    submitted = {"submitted_at": timezone.now(), "status": status} if status else {}
    with scopes_disabled():
        return Reading.objects.create(tenant=meter.tenant, meter=meter, zone=zone, value=Decimal(value),
                                      taken_on=taken_on, source=source, **submitted)


def monthly_readings(meter, count, *, today, zones=1):
    """``count`` months of readings ending with ``today``'s month, two a month per zone."""
    first = add_months(month_start(today), -(count - 1))
    for offset in range(count):
        month = add_months(first, offset)
        for zone in range(1, zones + 1):
            read(meter, month, 1000 * zone + offset * 10, zone=zone)
            read(meter, month.replace(day=2), 1000 * zone + offset * 10 + 5, zone=zone,
                 source="estimated" if offset % 5 == 0 else "amr")


def link(user, account, access="full"):
    with scopes_disabled():
        return AccountLinkFactory(user=user, account=account, access=access)


@pytest.fixture
def supplier(tenants):
    return SupplierFactory(tenant=tenants[0], code="energo", name="Энергосбыт")


@pytest.fixture
def consumer(tenants, tenant_client):
    user = UserFactory(tenant=tenants[0])
    client = tenant_client(tenants[0])
    client.force_login(user)
    return user, client


def by_month(series):
    return {month.month: month for month in series.months}


# The selector ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_monthly_consumption_per_zone_with_an_estimated_month_a_rollover_and_a_gap(supplier):
    meter = make_meter(AccountFactory(supplier=supplier, number="100"), serial="SN-100", zones=2, decimals=2, **ELECTRIC)
    # Zone 1: December's last reading is the baseline of January.
    read(meter, D(2025, 12, 10), "900")
    read(meter, D(2025, 12, 25), "1000")
    read(meter, D(2026, 1, 10), "1050")
    read(meter, D(2026, 1, 25), "1100.25")  # the month's last reading closes it
    read(meter, D(2026, 2, 25), "1180.25", "estimated")
    read(meter, D(2026, 3, 25), "1250.5")
    read(meter, D(2026, 3, 28), "9999", "portal", status="rejected")  # ignored
    read(meter, D(2026, 4, 25), "30")  # a new meter: below March's reading
    read(meter, D(2026, 5, 25), "90")
    # Zone 2: the last reading before the window is from November (no December one).
    read(meter, D(2025, 11, 25), "500", zone=2)
    read(meter, D(2026, 1, 25), "520", zone=2)
    read(meter, D(2026, 2, 25), "530", "controller", zone=2)
    read(meter, D(2026, 3, 25), "560", "estimated", zone=2)  # the same day: the meter's reading wins
    read(meter, D(2026, 3, 25), "545", zone=2)
    read(meter, D(2026, 7, 1), "999", zone=2)  # after the window

    with tenant_scope(supplier.tenant):
        zone1, zone2 = selectors.monthly_consumption(meter, months=6, today=D(2026, 6, 15))

    assert [month.month for month in zone1.months] == [D(2026, m, 1) for m in range(1, 7)]
    months = by_month(zone1)
    assert (months[D(2026, 1, 1)].state, months[D(2026, 1, 1)].amount) == (State.MEASURED, Decimal("100.25"))
    assert (months[D(2026, 2, 1)].state, months[D(2026, 2, 1)].amount) == (State.ESTIMATED, Decimal("80"))
    assert months[D(2026, 2, 1)].estimated
    assert (months[D(2026, 3, 1)].state, months[D(2026, 3, 1)].amount) == (State.MEASURED, Decimal("70.25"))
    assert (months[D(2026, 4, 1)].state, months[D(2026, 4, 1)].amount) == (State.ROLLOVER, None)
    assert (months[D(2026, 5, 1)].state, months[D(2026, 5, 1)].amount) == (State.MEASURED, Decimal("60"))
    assert months[D(2026, 6, 1)].state == State.NO_READING
    assert zone1.total == Decimal("310.50")

    months = by_month(zone2)
    assert (months[D(2026, 1, 1)].state, months[D(2026, 1, 1)].amount, months[D(2026, 1, 1)].spans) == (
        State.GAP, Decimal("20"), 2)
    assert (months[D(2026, 2, 1)].state, months[D(2026, 2, 1)].amount) == (State.MEASURED, Decimal("10"))
    assert (months[D(2026, 3, 1)].state, months[D(2026, 3, 1)].amount) == (State.MEASURED, Decimal("15"))
    assert months[D(2026, 3, 1)].closing.source == "amr"
    assert months[D(2026, 6, 1)].state == State.NO_READING


@pytest.mark.django_db
def test_months_before_the_first_reading_are_left_out_and_the_first_has_nothing_to_subtract(supplier):
    meter = make_meter(AccountFactory(supplier=supplier, number="101"), serial="SN-101", **ELECTRIC)
    read(meter, D(2026, 4, 20), "10")
    read(meter, D(2026, 5, 20), "25")
    with tenant_scope(supplier.tenant):
        (zone,) = selectors.monthly_consumption(meter, months=24, today=D(2026, 5, 31))
    assert [(month.month, month.state, month.amount) for month in zone.months] == [
        (D(2026, 4, 1), State.FIRST, None), (D(2026, 5, 1), State.MEASURED, Decimal("15"))]


@pytest.mark.django_db
def test_the_selector_makes_one_query_with_6_or_24_months_of_readings(supplier):
    today = D(2026, 11, 24)
    short = make_meter(AccountFactory(supplier=supplier, number="200"), serial="SN-200", zones=2, **ELECTRIC)
    long = make_meter(AccountFactory(supplier=supplier, number="201"), serial="SN-201", zones=2, **ELECTRIC)
    monthly_readings(short, 6, today=today, zones=2)
    monthly_readings(long, 30, today=today, zones=2)  # more months than the chart shows, too
    with tenant_scope(supplier.tenant):
        with CaptureQueriesContext(connection) as few:
            short_series = selectors.monthly_consumption(short, months=24, today=today)
        with CaptureQueriesContext(connection) as many:
            long_series = selectors.monthly_consumption(long, months=24, today=today)
    assert len(few) == len(many) == 1
    assert [len(zone.months) for zone in short_series] == [6, 6]
    assert [len(zone.months) for zone in long_series] == [24, 24]
    assert all(month.amount == 10 for month in long_series[1].months)


# The chart ------------------------------------------------------------------------------

def month(month, state, amount=None):
    return selectors.MonthConsumption(month=month, state=state, amount=None if amount is None else Decimal(amount),
                                      estimated=state == State.ESTIMATED)


SERIES = [
    month(D(2026, 1, 1), State.FIRST),
    month(D(2026, 2, 1), State.MEASURED, "120.5"),
    month(D(2026, 3, 1), State.ESTIMATED, "98"),
    month(D(2026, 4, 1), State.ROLLOVER),
    month(D(2026, 5, 1), State.MEASURED, "77"),
    month(D(2026, 6, 1), State.NO_READING),
]


def bars_of(svg):
    """The bars: shapes carrying a per-month <title> (a rect, or a hatched group)."""
    root = ET.fromstring(str(svg))
    return root, [element for element in root if element.tag in (f"{SVG}rect", f"{SVG}g")
                  and element.find(f"{SVG}title") is not None]


def test_the_chart_has_a_bar_per_month_with_data_a_title_a_desc_and_hatched_estimates():
    svg = charts.consumption_svg(SERIES, unit="кВт·ч", title="Расход по месяцам, зона 1")
    root, bars = bars_of(svg)
    assert root.get("role") == "img" and root.get("viewBox") and root.get("width") == "100%"
    assert root[0].tag == f"{SVG}title" and root[0].text == "Расход по месяцам, зона 1"
    assert root[1].tag == f"{SVG}desc"
    assert root.get("aria-labelledby") == f"{root[0].get('id')} {root[1].get('id')}"
    assert len(bars) == 3  # February, March, May: no bar for the first month, a rollover, a month without readings
    titles = [bar.find(f"{SVG}title").text for bar in bars]
    assert titles == ["02.2026: 120,5 кВт·ч", "03.2026: 98 кВт·ч (расчётный)", "05.2026: 77 кВт·ч"]
    hatched = bars[1]
    assert hatched.tag == f"{SVG}g" and len(hatched.findall(f"{SVG}line")) >= 3
    desc = root[1].text
    assert "03.2026" in desc and "расчётные" in desc.lower() and "04.2026" in desc
    assert "расчётный месяц" in str(svg)  # the legend


def test_the_chart_is_pure_self_contained_svg_and_deterministic():
    svg = str(charts.consumption_svg(SERIES, unit="м³", title="Газ"))
    assert svg == str(charts.consumption_svg(SERIES, unit="м³", title="Газ"))
    for forbidden in ("<script", "<style", "style=", "href", "url(", "<image", "<foreignObject", "@import"):
        assert forbidden not in svg
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_the_chart_escapes_every_text():
    svg = str(charts.consumption_svg(SERIES, unit="<b>м³</b>", title='</title><script>alert("x")</script> & Co'))
    assert "<script>" not in svg and "<b>" not in svg
    root = ET.fromstring(svg)  # still well-formed
    assert root[0].text == '</title><script>alert("x")</script> & Co'
    assert "&lt;b&gt;м³&lt;/b&gt;" in svg


def test_an_empty_series_still_draws_a_labelled_chart():
    root = ET.fromstring(str(charts.consumption_svg([], unit="м³", title="Газ")))
    assert root[1].text == "Показаний пока нет."


def test_the_chart_goes_into_a_pdf_without_fetching_anything():
    weasyprint = pytest.importorskip("weasyprint")
    fetched = []

    def fetcher(url, *args, **kwargs):
        fetched.append(url)
        raise ValueError(f"nothing is fetched: {url}")

    svg = charts.consumption_svg(SERIES, unit="кВт·ч", title="Расход")
    pdf = weasyprint.HTML(string=f"<html><body><div style='width: 12cm'>{svg}</div></body></html>",
                          url_fetcher=fetcher).write_pdf()
    assert pdf.startswith(b"%PDF") and not fetched


# The page -------------------------------------------------------------------------------

def url(account_id, meter_id):
    return f"/personal/{account_id}/meters/{meter_id}/"


@pytest.mark.django_db
def test_the_owner_sees_the_meter_its_chart_table_and_readings(supplier, consumer):
    user, client = consumer
    meter = make_meter(AccountFactory(supplier=supplier, number="300"), serial="ЭМ-77", decimals=1, **ELECTRIC)
    link(user, meter.account)
    this_month = month_start(timezone.localdate())
    read(meter, add_months(this_month, -3), "100")
    read(meter, add_months(this_month, -2), "150.5", "controller")
    read(meter, add_months(this_month, -1), "175.5", "estimated")
    read(meter, this_month, "180.5", "portal", status="submitted")

    response = client.get(url(meter.account_id, meter.pk))
    assert response.status_code == 200
    page = response.content.decode().replace("\xa0", " ")
    assert "ЭМ-77" in page and "Электроэнергия" in page and "01.01.2031" in page
    assert page.count('role="img"') == 1 and "<title" in page and "<desc" in page
    assert "Таблица с теми же числами" in page
    assert "расчётный месяц: показание не по счётчику" in page
    assert "50,5" in page and "25,0" in page  # the table's differences
    for state in ("снято контролёром", "расчётное, не по счётчику", "снято автоматически"):
        assert state in page
    # The page is the same for every viewer: the portal's reading says its state, not who sent it.
    assert f"принято, войдёт в расчёт за {period_name(this_month)}" in page and "передано вами" not in page


@pytest.mark.django_db
def test_a_meter_of_two_zones_has_a_chart_per_zone(supplier, consumer):
    user, client = consumer
    meter = make_meter(AccountFactory(supplier=supplier, number="301"), serial="SN-301", zones=2, **ELECTRIC)
    link(user, meter.account)
    monthly_readings(meter, 3, today=timezone.localdate(), zones=2)
    page = client.get(url(meter.account_id, meter.pk)).content.decode()
    assert page.count('role="img"') == 2 and "Зона 2" in page


@pytest.mark.django_db
def test_every_other_meter_is_a_404_and_anonymous_goes_to_login(tenants, supplier, consumer, tenant_client):
    alpha, beta = tenants
    user, client = consumer
    own = make_meter(AccountFactory(supplier=supplier, number="400"), serial="SN-400", **ELECTRIC)
    other_own = make_meter(AccountFactory(supplier=supplier, number="401"), serial="SN-401", **ELECTRIC)
    link(user, own.account)
    link(user, other_own.account)
    neighbour = UserFactory(tenant=alpha)
    foreign = make_meter(AccountFactory(supplier=supplier, number="402"), serial="SN-402", **ELECTRIC)
    link(neighbour, foreign.account)
    elsewhere = make_meter(AccountFactory(supplier=SupplierFactory(tenant=beta, code="beta"), number="403"), serial="SN-403",
                           **ELECTRIC)
    link(UserFactory(tenant=beta), elsewhere.account)

    assert client.get(url(own.account_id, own.pk)).status_code == 200
    assert client.get(url(foreign.account_id, foreign.pk)).status_code == 404  # another user's
    assert client.get(url(elsewhere.account_id, elsewhere.pk)).status_code == 404  # another tenant's
    assert client.get(url(own.account_id, other_own.pk)).status_code == 404  # the user's, under the wrong account
    assert client.get(url(own.account_id, foreign.pk)).status_code == 404
    assert client.get(url(own.account_id, 999999)).status_code == 404
    assert client.get(url(999999, own.pk)).status_code == 404
    assert client.get(url("abc", own.pk)).status_code == 404

    anonymous = tenant_client(alpha).get(url(own.account_id, own.pk))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_a_basic_link_is_sent_to_the_control_question(supplier, consumer):
    user, client = consumer
    meter = make_meter(AccountFactory(supplier=supplier, number="500"), serial="SN-500", **ELECTRIC)
    link(user, meter.account, access="basic")
    response = client.get(url(meter.account_id, meter.pk))
    assert response.status_code == 302
    assert response["Location"] == f"/personal/{meter.account_id}/extended/"


@pytest.mark.django_db
def test_the_page_makes_as_many_queries_for_24_months_as_for_6(supplier, consumer):
    user, client = consumer
    today = timezone.localdate()
    short = make_meter(AccountFactory(supplier=supplier, number="600"), serial="SN-600", zones=2, **ELECTRIC)
    long = make_meter(AccountFactory(supplier=supplier, number="601"), serial="SN-601", zones=2, **ELECTRIC)
    for meter, months in ((short, 6), (long, 24)):
        link(user, meter.account)
        monthly_readings(meter, months, today=today, zones=2)
    client.get(url(short.account_id, short.pk))  # warm the tenant's cache entry and the user's links
    for meter in (short, long):
        fragments.forget_account(meter.account_id)  # and render both pages afresh
    with CaptureQueriesContext(connection) as few:
        assert client.get(url(short.account_id, short.pk)).status_code == 200
    with CaptureQueriesContext(connection) as many:
        assert client.get(url(long.account_id, long.pk)).status_code == 200
    assert len(few) == len(many)
    # Rendered once, the page comes from the cache: no meter data (nor the user and links).
    with CaptureQueriesContext(connection) as cached:
        assert client.get(url(long.account_id, long.pk)).status_code == 200
    assert len(cached) == len(many) - 3
