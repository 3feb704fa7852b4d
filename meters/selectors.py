"""Reads about meters for the consumer's pages: consumption by month and the readings'
history. A fixed number of queries each, however many readings or months a meter has
(meters/tests/test_consumption.py asserts it)."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Case, DateField, F, IntegerField, Value, When, Window
from django.db.models.functions import Cast, RowNumber, TruncMonth
from django.utils import timezone

from billing.numbers import UNIT_NAMES
from portal.months import add_months, month_start, months_between

from . import states
from .models import Meter, Reading

# What a meter of each service counts (billing.models.Service), named as billing's units are.
UNITS = {
    "electricity": UNIT_NAMES["kWh"],
    "gas": UNIT_NAMES["m3"],
    "cold_water": UNIT_NAMES["m3"],
    "hot_water": UNIT_NAMES["m3"],
    "heat": UNIT_NAMES["Gcal"],
}


def unit_of(service):
    return UNITS.get(service, "")


class State:
    """What a month's figure is (one of these per month and zone)."""

    MEASURED = "measured"  # closing minus the previous month's closing: a bar
    ESTIMATED = "estimated"  # the same, but the closing reading is billing's estimate: a hatched bar
    ROLLOVER = "rollover"  # the closing reading is below the previous one: replaced or past zero, no bar
    GAP = "gap"  # the previous closing is older than the month before: the figure spans months, no bar
    FIRST = "first"  # a reading, but none before it to subtract
    NO_READING = "no_reading"  # no reading this month

    BARS = {MEASURED, ESTIMATED}


@dataclass(frozen=True)
class MonthConsumption:
    month: date  # its first day
    state: str
    amount: Decimal | None = None  # None when there is nothing to show as consumption
    closing: Reading | None = None  # the month's last reading
    previous: Reading | None = None  # the closing reading it was subtracted from
    estimated: bool = False  # the closing reading is an estimate (whatever the state)
    spans: int = 1  # months the amount covers (GAP: more than one)

    @property
    def has_bar(self):
        return self.state in State.BARS


@dataclass
class ZoneSeries:
    zone: int
    months: list = field(default_factory=list)  # MonthConsumption, oldest first

    @property
    def total(self):
        """The sum of the figures shown (bars and spans over a gap)."""
        return sum((month.amount for month in self.months if month.amount is not None), Decimal(0))

    @property
    def bars(self):
        return [month for month in self.months if month.has_bar]

    @property
    def estimated_months(self):
        return [month for month in self.months if month.state == State.ESTIMATED]


VERIFICATION_WARNING_DAYS = 60


def verification_state(meter, today):
    """"" (no date known), "valid", "soon" (within VERIFICATION_WARNING_DAYS) or "expired"
    (ПП 354 п. 81(12) «д»: its readings are no longer accepted)."""
    if meter.verified_until is None:
        return ""
    if meter.verified_until < today:
        return "expired"
    if (meter.verified_until - today).days <= VERIFICATION_WARNING_DAYS:
        return "soon"
    return "valid"


@dataclass
class MeterLine:
    meter: Meter
    readings: list = field(default_factory=list)  # the last reading of each zone
    verification: str = ""  # verification_state()


def meter_lines(account, *, today):
    """The account's meters in service with the last reading of each zone, consumers' and
    billing's alike (2 queries; only those readings are fetched, however long the history)."""
    meters = list(Meter.objects.filter(account=account, archived_on__isnull=True).order_by("serial"))
    if not meters:
        return []
    newest_first = Window(RowNumber(), partition_by=[F("meter_id"), F("zone")],
                          order_by=[F("taken_on").desc(), F("pk").desc()])
    latest = (
        Reading.objects.filter(meter__in=meters).exclude(status__in=Reading.NOT_COUNTED)
        .annotate(rank=newest_first).filter(rank=1).order_by("meter_id", "zone").select_related("submitted_by")
    )
    by_meter = {}
    for reading in latest:
        by_meter.setdefault(reading.meter_id, []).append(reading)
    return [MeterLine(meter=meter, readings=by_meter.get(meter.pk, []), verification=verification_state(meter, today))
            for meter in meters]


def window_of(meter, months, today=None):
    """The first and the last month of the chart: ``months`` months ending with the current
    one (or the month the meter was taken out of service)."""
    today = today or timezone.localdate()
    last = month_start(min(today, meter.archived_on) if meter.archived_on else today)
    return add_months(last, -(months - 1)), last


def closing_readings(meter, first, last):
    """The last reading of each zone and month from ``first`` to ``last``, and of each zone
    before ``first`` (under the key of the month before ``first``): one query.

    Rejected readings do not count; on the same day a reading taken from the meter wins
    over an estimate. A window function rather than DISTINCT ON, so SQLite (make run) runs
    it too.
    """
    before = add_months(first, -1)
    bucket = Case(
        When(taken_on__lt=first, then=Value(before)),
        # DATE_TRUNC answers a timestamp on PostgreSQL, and a Case applies no inner converter.
        default=Cast(TruncMonth("taken_on", output_field=DateField()), DateField()),
        output_field=DateField(),
    )
    estimate_last = Case(When(source=Reading.Source.ESTIMATED, then=Value(1)), default=Value(0),
                         output_field=IntegerField())
    rows = (
        Reading.objects.filter(meter=meter, zone__lte=meter.zones, taken_on__lt=add_months(last, 1))
        .exclude(status__in=Reading.NOT_COUNTED)
        .annotate(
            bucket=bucket,
            rank=Window(RowNumber(), partition_by=[F("zone"), bucket],
                        order_by=[F("taken_on").desc(), estimate_last.asc(), F("pk").desc()]),
        )
        .filter(rank=1)
        .only("id", "meter_id", "zone", "value", "taken_on", "source", "status")
    )
    return {(row.zone, row.bucket): row for row in rows}


def monthly_consumption(meter, months=24, *, today=None):
    """Consumption of ``meter`` by zone and month: a ZoneSeries per zone of the meter, each
    with the months from the first one that has a reading to the current one (at most
    ``months``). One query, whatever the number of readings or months.

    A month's consumption is its last reading minus the last reading of the month before.
    A month whose last reading is an estimate is estimated; a negative difference means the
    meter was replaced or went past zero and is not shown as consumption.
    """
    first, last = window_of(meter, months, today)
    closings = closing_readings(meter, first, last)
    before = add_months(first, -1)
    series = []
    for zone in range(1, meter.zones + 1):
        previous = closings.get((zone, before))
        zone_months = []
        for offset in range(months_between(first, last) + 1):
            month = add_months(first, offset)
            closing = closings.get((zone, month))
            if closing is None:
                zone_months.append(MonthConsumption(month=month, state=State.NO_READING))
                continue
            estimated = closing.source == Reading.Source.ESTIMATED
            if previous is None:
                zone_months.append(MonthConsumption(month=month, state=State.FIRST, closing=closing,
                                                    estimated=estimated))
            else:
                difference = closing.value - previous.value
                spans = months_between(month_start(previous.taken_on), month)
                if difference < 0:
                    state, amount = State.ROLLOVER, None
                elif spans > 1:
                    state, amount = State.GAP, difference
                else:
                    state, amount = (State.ESTIMATED if estimated else State.MEASURED), difference
                zone_months.append(MonthConsumption(month=month, state=state, amount=amount, closing=closing,
                                                    previous=previous, estimated=estimated, spans=spans))
            previous = closing
        # Months before the meter's first reading are not part of its story.
        while zone_months and zone_months[0].state == State.NO_READING:
            zone_months.pop(0)
        series.append(ZoneSeries(zone=zone, months=zone_months))
    return series


def reading_history(meter, *, since):
    """The meter's readings taken on or after ``since``, newest first, rejected ones too
    (their status says so): one query."""
    return list(
        Reading.objects.filter(meter=meter, taken_on__gte=since)
        .order_by("-taken_on", "zone", "-pk")
        .only("id", "meter_id", "zone", "value", "taken_on", "source", "status", "status_reason", "submitted_at",
              "submitted_by_id", "period")
    )


# How far back a held reading is still news on the readings page.
HELD_NEWS_DAYS = 92


def held_readings(account, *, user, everyone, today):
    """Readings of the account's meters held for another person's (meters.services' rule),
    lately: the user's own, or ``everyone``'s (a holder sees who else sent readings). With
    their authors and the reading that went instead; one query."""
    readings = (
        Reading.objects.filter(meter__account=account, status=Reading.Status.HELD,
                               submitted_at__date__gte=today - timedelta(days=HELD_NEWS_DAYS))
        .select_related("meter", "submitted_by", "held_for__submitted_by").order_by("meter_id", "zone", "-pk")
    )
    if not everyone:
        readings = readings.filter(submitted_by=user)
    return list(readings)


def window_state(account, *, today):
    """The account's reading window today (meters.states.WindowState): ``.text()`` is its
    sentence, the one the overview, the readings page and the reminders say; ``.accepts``
    whether a reading passed today is taken."""
    return states.reading_window(account).on(today)
