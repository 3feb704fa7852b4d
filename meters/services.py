"""Meter readings submitted in the portal (or by staff): every rule in one service.

``submit_readings`` is what the readings page, staff's entry in the admin and "pay with
readings" call. Its rules (issue 10; ПП 354 and 549; condo's MeterReading):

- refused: not a number; more whole or decimal digits than the meter has; a date in the
  future; an archived meter; a meter past its verification date (ПП 354 п. 81(12) «д»: its
  readings are not accepted); the wrong number of zones; outside a strict window;
- asked to confirm (and the confirmation stored with the reading): lower than the last
  reading taken from the meter («Счётчик заменён или прошёл через ноль?»); consumption above
  the policy's multiple of the average of the last 3 measured months.

A second submission for the same meter, zone and period replaces the first until it is
exported; after that it is stored as a correction of it. The meter's row is locked while a
submission is written, so two tabs or a double click give one reading.
"""

import calendar
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import fragments
from portal.months import add_months

from .models import Meter, Reading, ReadingWindow
from .selectors import State, monthly_consumption

DEFAULT_WINDOW = (15, 25, False)  # ПП 354: readings passed by the 25th count for the month
_NUMBER = re.compile(r"(\d+)(?:[.,](\d+))?", re.ASCII)


# --- The window ------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    first_day: int
    last_day: int
    strict: bool

    def on(self, today):
        """Where ``today`` (the tenant's date) falls: a WindowState."""
        days_in_month = calendar.monthrange(today.year, today.month)[1]
        first, last = min(self.first_day, days_in_month), min(self.last_day, days_in_month)
        if today.day < first:
            return WindowState(self, "before", first=first, last=last, days=first - today.day)
        if today.day > last:
            return WindowState(self, "after", first=first, last=last, days=0)
        return WindowState(self, "open", first=first, last=last, days=last - today.day)


@dataclass(frozen=True)
class WindowState:
    window: Window
    state: str  # "before", "open" or "after"
    first: int
    last: int
    days: int  # open: days left after today; before: days until it opens

    @property
    def accepts(self):
        return self.state == "open" or not self.window.strict

    @property
    def next_period(self):
        """A reading taken after the window counts for the next billing period."""
        return self.state == "after"

    def text(self):
        """«Передать показания можно с 15 по 25 число, осталось 3 дня» and its kin."""
        span = _("Передать показания можно с %(first)d по %(last)d число") % {"first": self.first, "last": self.last}
        if self.state == "open":
            if self.days == 0:
                return _("%(span)s, сегодня последний день.") % {"span": span}
            return _("%(span)s, осталось дней: %(days)d.") % {"span": span, "days": self.days + 1}
        if self.state == "before":
            return _("%(span)s; приём откроется через дней: %(days)d.") % {"span": span, "days": self.days}
        if self.window.strict:
            return _("%(span)s; в этом месяце приём закончился.") % {"span": span}
        return _("%(span)s; переданные сейчас показания будут учтены в следующем расчётном периоде.") % {
            "span": span}


def reading_window(account):
    """The window of the account's supplier and subscriber type: the most specific row
    (supplier and type, supplier, type, any), else ПП 354's default."""
    rows = ReadingWindow.objects.filter(
        Q(supplier_id=account.supplier_id) | Q(supplier__isnull=True),
        subscriber_type__in=[account.subscriber_type, ""], tenant_id=account.tenant_id,
    )
    rows = sorted(rows, key=lambda row: (row.supplier_id is None, row.subscriber_type == ""))
    if not rows:
        return Window(*DEFAULT_WINDOW)
    best = rows[0]
    return Window(best.first_day, best.last_day, best.strict)


# --- Checking ------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    message: str
    zone: int | None = None  # None: the meter as a whole
    confirm: str = ""  # "lower" or "jump": may be confirmed; "": refused

    @property
    def refuses(self):
        return not self.confirm


@dataclass
class Submission:
    """What one meter's submission came to."""

    meter: Meter
    values: dict = field(default_factory=dict)  # zone -> Decimal, the parsed ones
    problems: list = field(default_factory=list)
    readings: list = field(default_factory=list)  # what was saved
    confirmed: dict = field(default_factory=dict)  # zone -> the questions it raised that were confirmed
    next_period: bool = False

    @property
    def saved(self):
        return bool(self.readings)

    @property
    def refused(self):
        return any(problem.refuses for problem in self.problems)

    @property
    def to_confirm(self):
        return [problem for problem in self.problems if problem.confirm]

    @property
    def confirm_kinds(self):
        """The questions to tick, each once ("lower" for two zones is one box)."""
        return list(dict.fromkeys(problem.confirm for problem in self.to_confirm))


def _parse(meter, zone, raw):
    text = (raw or "").strip().replace(" ", "").replace("\u00a0", "")
    match = _NUMBER.fullmatch(text)
    if match is None:
        return None, Problem(_("Введите число, например 12345 или 12345,6."), zone)
    whole, fraction = match[1].lstrip("0"), (match[2] or "").rstrip("0")
    if len(whole) > meter.digits:
        return None, Problem(_("У прибора %(digits)d разрядов до запятой, а введено больше.")
                             % {"digits": meter.digits}, zone)
    if len(fraction) > meter.decimals:
        if meter.decimals == 0:
            return None, Problem(_("Этот прибор показывает целые числа: введите показание без дробной части."), zone)
        return None, Problem(_("После запятой у этого прибора не больше %(decimals)d знаков.")
                             % {"decimals": meter.decimals}, zone)
    return Decimal(text.replace(",", ".")), None


def _last_from_meter(meter, zone, *, before_or_on, exclude_period=None):
    """The last reading taken from the meter itself: not an estimate, not rejected, and not
    the consumer's own reading of this period that is being replaced."""
    readings = (
        Reading.objects.filter(meter=meter, zone=zone, taken_on__lte=before_or_on)
        .exclude(source=Reading.Source.ESTIMATED).exclude(status=Reading.Status.REJECTED)
    )
    if exclude_period is not None:
        readings = readings.exclude(period=exclude_period, status=Reading.Status.SUBMITTED)
    return readings.order_by("-taken_on", "-pk").first()


def _average_consumption(meter, zone, today):
    series = monthly_consumption(meter, months=12, today=today)
    for zone_series in series:
        if zone_series.zone == zone:
            measured = [month.amount for month in zone_series.months if month.state == State.MEASURED][-3:]
            return sum(measured, Decimal(0)) / len(measured) if measured else None
    return None


def check_submission(*, meter, values, today, window_state, factor, confirmed=(), taken_on=None):
    """Parse and check ``values`` ({zone: text}) for ``meter``: a Submission with the
    values and the problems (refusals first)."""
    submission = Submission(meter=meter)
    taken_on = taken_on or today
    if meter.archived_on:
        submission.problems.append(Problem(_("Прибор учёта снят с учёта %(date)s: показания по нему не принимаются.")
                                           % {"date": meter.archived_on.strftime("%d.%m.%Y")}))
    if meter.verified_until and meter.verified_until < taken_on:
        submission.problems.append(Problem(_(
            "Срок поверки прибора истёк %(date)s, и его показания не принимаются. Закажите поверку или замену "
            "прибора и сообщите нам о ней; до этого начисления идут по среднему расходу, затем по нормативу."
        ) % {"date": meter.verified_until.strftime("%d.%m.%Y")}))
    if taken_on > today:
        submission.problems.append(Problem(_("Дата показаний не может быть в будущем.")))
    if not window_state.accepts:
        submission.problems.append(Problem(window_state.text()))
    zones = set(range(1, meter.zones + 1))
    if set(values) != zones:
        submission.problems.append(Problem(
            _("Укажите показания для каждой тарифной зоны прибора (их %(count)d).") % {"count": meter.zones}))
        return submission
    for zone in sorted(zones):
        value, problem = _parse(meter, zone, values[zone])
        if problem:
            submission.problems.append(problem)
        else:
            submission.values[zone] = value
    if submission.refused:
        return submission
    period = _period(taken_on, window_state)
    for zone, value in submission.values.items():
        last = _last_from_meter(meter, zone, before_or_on=taken_on, exclude_period=period)
        if last is None:
            continue
        if value < last.value:
            if "lower" not in confirmed:
                submission.problems.append(Problem(
                    _("Значение меньше предыдущего (%(last)s на %(date)s). Счётчик заменён или прошёл через ноль?")
                    % {"last": _number(last.value), "date": last.taken_on.strftime("%d.%m.%Y")},
                    zone, confirm="lower"))
                continue
            submission.confirmed.setdefault(zone, set()).add("lower")
        average = _average_consumption(meter, zone, today)
        used = value - last.value
        # Since a reading months back (estimated months between), compare a month's share.
        months = max(1, (taken_on.year - last.taken_on.year) * 12 + taken_on.month - last.taken_on.month)
        if average and used / months > average * factor:
            if "jump" in confirmed:
                submission.confirmed.setdefault(zone, set()).add("jump")
                continue
            submission.problems.append(Problem(
                _("Расход %(used)s — больше обычного в %(times)s раз (в среднем %(average)s в месяц). Всё правильно?")
                % {"used": _number(used), "times": _number(used / months / average, 1), "average": _number(average)},
                zone, confirm="jump"))
    return submission


def _number(value, places=2):
    """A Decimal as Russian text without trailing zeros: 200, 12,5, 3,25."""
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _period(taken_on, window_state):
    """The billing period a reading taken on ``taken_on`` counts for (a reading staff enter
    for an earlier day counts for that day's month)."""
    month = taken_on.replace(day=1)
    return add_months(month, 1) if window_state.next_period else month


# --- Submitting ------------------------------------------------------------------------


def submit_readings(*, account, meter, values, user=None, source=Reading.Source.PORTAL, confirmed=(),
                    taken_on=None, now=None):
    """Check and save one meter's readings ({zone: text}) for ``account``. Returns the
    Submission: saved readings, or the problems (refusals, or questions to confirm with
    ``confirmed`` = {"lower", "jump"}). The caller has checked the user may do this."""
    if meter.account_id != account.pk:
        raise ValueError("the meter is not the account's")
    now = now or timezone.now()
    tenant = account.tenant
    today = tenant.today(now)
    window_state = reading_window(account).on(today)
    if source == Reading.Source.STAFF:
        window_state = Window(1, 31, False).on(today)  # staff take a reading whenever it comes
    with transaction.atomic():
        meter = Meter.objects.select_for_update().get(pk=meter.pk)  # two tabs: one after the other
        submission = check_submission(
            meter=meter, values=values, today=today, window_state=window_state,
            factor=tenant.policy.reading_jump_factor, confirmed=set(confirmed), taken_on=taken_on,
        )
        if submission.problems:
            return submission
        period = _period(taken_on or today, window_state)
        submission.next_period = window_state.next_period
        for zone, value in sorted(submission.values.items()):
            # Stored per reading: only the questions this zone's value raised (a box ticked up
            # front, or for the other zone, confirms nothing).
            submission.readings.append(_save(meter, zone, value, period=period, taken_on=taken_on or today,
                                             user=user, source=source, now=now,
                                             confirmed=submission.confirmed.get(zone, set())))
        fragments.forget_account(account.pk)  # the overview and the meter's page show it
    return submission


def _save(meter, zone, value, *, period, taken_on, user, source, now, confirmed):
    fields = {
        "value": value, "taken_on": taken_on, "submitted_at": now, "submitted_by": user, "source": source,
        "confirmed_lower": "lower" in confirmed, "confirmed_jump": "jump" in confirmed,
    }
    # Locked: an export marking it between this look-up and the write below would send the
    # old value while the new one is stored as sent. Locked, the export waits for this
    # write and sends it; or it marked the row first, and the look-up (re-checked after the
    # export commits) finds nothing waiting: the new value becomes a correction.
    waiting = (Reading.objects.select_for_update()
               .filter(meter=meter, zone=zone, period=period, status=Reading.Status.SUBMITTED).first())
    if waiting is not None:  # not exported yet: replaced
        for name, value_ in fields.items():
            setattr(waiting, name, value_)
        waiting.save(update_fields=list(fields))
        return waiting
    sent = (
        Reading.objects.filter(meter=meter, zone=zone, period=period, submitted_at__isnull=False)
        .exclude(status=Reading.Status.SUBMITTED).order_by("-submitted_at").first()
    )
    return Reading.objects.create(
        tenant_id=meter.tenant_id, meter=meter, zone=zone, period=period, status=Reading.Status.SUBMITTED,
        corrects=sent, **fields,
    )

