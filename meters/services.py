"""Meter readings submitted in the portal (or by staff): every rule in one service.

``readings_submit`` is what the readings page, staff's entry in the admin and "pay with
readings" call. Its rules (issue 10; ПП 354 and 549; condo's MeterReading):

- refused: not a number; more whole or decimal digits than the meter has; a date in the
  future; an archived meter; a meter past its verification date (ПП 354 п. 81(12) «д»: its
  readings are not accepted); the wrong number of zones; outside a strict window;
- asked to confirm (and the confirmation stored with the reading): lower than the last
  reading taken from the meter («Счётчик заменён или прошёл через ноль?»); consumption above
  the policy's multiple of the average of the last 3 measured months.

Every reading submitted here keeps its author and the access they sent it by
(``Reading.access``: a basic link, the holder's full link, or staff). One meter, zone and
period has at most one reading that goes to billing, chosen by one rule (``_save``):

- the author's own second submission replaces their first until it is exported; after that
  it is stored as a correction of it;
- another person's reading never silently replaces it: the higher access wins (staff over
  the holder's proven link over a link by number alone), and between equals the first stays.
  The reading that loses is kept as «held» (``Reading.held_for`` names the one that goes),
  shown to staff in the admin and to the people concerned, who are told;
- the account's holders (every user with full access) are told when someone else submits a
  reading (billing.access.holders), and see who, masked.

The meter's row is locked while a submission is written, so two tabs or a double click give
one reading.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _, ngettext

from billing import fragments
from billing.access import holders
from portal.months import add_months

from .models import Meter, Reading
from .selectors import State, monthly_consumption
# The window lives with the sentences that name its states; its names stay importable here.
from .states import DEFAULT_WINDOW, Window, WindowState, reading_window  # noqa: F401

_NUMBER = re.compile(r"(\d+)(?:[.,](\d+))?", re.ASCII)


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
    readings: list = field(default_factory=list)  # what was saved (held ones too)
    confirmed: dict = field(default_factory=dict)  # zone -> the questions it raised that were confirmed
    next_period: bool = False

    @property
    def saved(self):
        return bool(self.readings)

    @property
    def held(self):
        """Saved, but another person's reading goes to billing instead."""
        return [reading for reading in self.readings if reading.status == Reading.Status.HELD]

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
        return None, Problem(ngettext("У прибора %(digits)d разряд до запятой, а введено больше.",
                                      "У прибора %(digits)d разрядов до запятой, а введено больше.", meter.digits)
                             % {"digits": meter.digits}, zone)
    if len(fraction) > meter.decimals:
        if meter.decimals == 0:
            return None, Problem(_("Этот прибор показывает целые числа: введите показание без дробной части."), zone)
        return None, Problem(ngettext("После запятой у этого прибора не больше %(decimals)d знака.",
                                      "После запятой у этого прибора не больше %(decimals)d знаков.", meter.decimals)
                             % {"decimals": meter.decimals}, zone)
    return Decimal(text.replace(",", ".")), None


def _last_from_meter(meter, zone, *, before_or_on, exclude_period=None):
    """The last reading taken from the meter itself: not an estimate, not rejected, and not
    the consumer's own reading of this period that is being replaced."""
    readings = (
        Reading.objects.filter(meter=meter, zone=zone, taken_on__lte=before_or_on)
        .exclude(source=Reading.Source.ESTIMATED).exclude(status__in=Reading.NOT_COUNTED)
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


def readings_check(*, meter, values, today, window_state, factor, confirmed=(), taken_on=None):
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
        submission.problems.append(Problem(window_state.refusal()))
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
                    % {"last": _number(last.value, meter.decimals), "date": last.taken_on.strftime("%d.%m.%Y")},
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
            times = used / months / average
            # «в 5 раз», «в 4,3 раза»: a fraction takes the form of 2 (gettext counts integers only).
            shown = _number(times, 1)
            count = int(shown) if shown.isdigit() else 2
            submission.problems.append(Problem(
                ngettext("Расход %(used)s — больше обычного в %(times)s раз (в среднем %(average)s в месяц). "
                         "Всё правильно?",
                         "Расход %(used)s — больше обычного в %(times)s раз (в среднем %(average)s в месяц). "
                         "Всё правильно?", count)
                % {"used": _number(used, meter.decimals), "times": shown, "average": _number(average, meter.decimals)},
                zone, confirm="jump"))
    return submission


def _number(value, places=2):
    """A Decimal as Russian text without trailing zeros: 200, 12,5, 3,25 (``places``: a meter's
    decimals, so that a value reads as it does beside the field)."""
    text = f"{value:.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _period(taken_on, window_state):
    """The billing period a reading taken on ``taken_on`` counts for (a reading staff enter
    for an earlier day counts for that day's month)."""
    month = taken_on.replace(day=1)
    return add_months(month, 1) if window_state.next_period else month


# --- Submitting ------------------------------------------------------------------------


def readings_submit(*, account, meter, values, user=None, access=Reading.Access.FULL, confirmed=(), taken_on=None,
                    now=None):
    """Check and save one meter's readings ({zone: text}) for ``account``, sent by ``user``
    with ``access`` (the link's level, or staff). Returns the Submission: saved readings
    (some perhaps held for another person's), or the problems (refusals, or questions to
    confirm with ``confirmed`` = {"lower", "jump"}). The caller has checked the user may
    do this."""
    if meter.account_id != account.pk:
        raise ValueError("the meter is not the account's")
    now = now or timezone.now()
    tenant = account.tenant
    today = tenant.today(now)
    window_state = reading_window(account).on(today)
    by_staff = access == Reading.Access.STAFF
    if by_staff:
        window_state = Window(1, 31, False).on(today)  # staff take a reading whenever it comes
    with transaction.atomic():
        meter = Meter.objects.select_for_update().get(pk=meter.pk)  # two tabs: one after the other
        submission = readings_check(
            meter=meter, values=values, today=today, window_state=window_state,
            factor=tenant.policy.reading_jump_factor, confirmed=set(confirmed), taken_on=taken_on,
        )
        if submission.problems:
            return submission
        period = _period(taken_on or today, window_state)
        submission.next_period = window_state.next_period
        author = Author(user=user, access=access)
        displaced = []
        for zone, value in sorted(submission.values.items()):
            # Stored per reading: only the questions this zone's value raised (a box ticked up
            # front, or for the other zone, confirms nothing).
            reading, pushed_out = _save(
                meter, zone, value, period=period, taken_on=taken_on or today, author=author, now=now,
                confirmed=submission.confirmed.get(zone, set()))
            submission.readings.append(reading)
            displaced += pushed_out
        _tell(account, meter, submission.readings, displaced, author=author)
        fragments.forget_account(account.pk)  # the overview and the meter's page show it
    return submission


@dataclass(frozen=True)
class Author:
    """Who sends a reading, and by which access. Staff are one author: the utility."""

    user: object
    access: str

    @property
    def rank(self):
        return RANKS[self.access]

    def wrote(self, reading):
        if self.access == Reading.Access.STAFF or reading.access == Reading.Access.STAFF:
            return self.access == reading.access
        return reading.submitted_by_id == (self.user.pk if self.user is not None else None)


# The written rule's order: a higher access wins over a lower one; equals keep the first.
# (Readings from before authorship was recorded count as the holder's.)
RANKS = {Reading.Access.BASIC: 1, Reading.Access.FULL: 2, "": 2, Reading.Access.STAFF: 3}


def _save(meter, zone, value, *, period, taken_on, author, now, confirmed):
    """Store one zone's reading by the rule in this module's docstring. Returns (the reading,
    the other people's readings it took the place of)."""
    source = Reading.Source.STAFF if author.access == Reading.Access.STAFF else Reading.Source.PORTAL
    fields = {
        "value": value, "taken_on": taken_on, "submitted_at": now, "submitted_by": author.user, "source": source,
        "access": author.access, "confirmed_lower": "lower" in confirmed, "confirmed_jump": "jump" in confirmed,
    }
    key = {"meter": meter, "zone": zone, "period": period}
    # The author's own earlier reading that was held: this one takes its place.
    mine_held = [reading for reading in Reading.objects.filter(**key, status=Reading.Status.HELD)
                 if author.wrote(reading)]
    # Locked: an export marking it between this look-up and the write below would send the
    # old value while the new one is stored as sent. Locked, the export waits for this
    # write and sends it; or it marked the row first, and the look-up (re-checked after the
    # export commits) finds nothing waiting: the new value becomes a correction.
    waiting = Reading.objects.select_for_update().filter(**key, status=Reading.Status.SUBMITTED).first()
    if waiting is not None and author.wrote(waiting):  # not exported yet: replaced
        for name, value_ in fields.items():
            setattr(waiting, name, value_)
        waiting.save(update_fields=list(fields))
        _forget(mine_held)
        return waiting, []
    if waiting is not None:
        if author.rank <= RANKS[waiting.access]:  # the first stays
            return _held(key, fields, mine_held, held_for=waiting), []
        # This one goes to billing; the waiting one is held for it.
        Reading.objects.filter(pk=waiting.pk).update(status=Reading.Status.HELD)
        reading = Reading.objects.create(tenant_id=meter.tenant_id, **key, status=Reading.Status.SUBMITTED,
                                         corrects=waiting.corrects, **fields)
        Reading.objects.filter(pk=waiting.pk).update(held_for=reading)
        waiting.status, waiting.held_for = Reading.Status.HELD, reading
        _forget(mine_held)
        return reading, [waiting]
    sent = (
        Reading.objects.filter(**key, status__in=[Reading.Status.EXPORTED, Reading.Status.ACCEPTED])
        .order_by("-submitted_at").first()
    )
    if sent is not None and not author.wrote(sent) and author.rank <= RANKS[sent.access]:
        return _held(key, fields, mine_held, held_for=sent), []
    _forget(mine_held)
    reading = Reading.objects.create(tenant_id=meter.tenant_id, **key, status=Reading.Status.SUBMITTED,
                                     corrects=sent, **fields)
    return reading, []


def _held(key, fields, mine_held, *, held_for):
    """The author's reading, kept but not sent: ``held_for`` goes to billing instead."""
    if mine_held:
        reading, rest = mine_held[0], mine_held[1:]
        for name, value in {**fields, "held_for": held_for}.items():
            setattr(reading, name, value)
        reading.save()
        _forget(rest)
        return reading
    return Reading.objects.create(tenant_id=held_for.tenant_id, **key, status=Reading.Status.HELD,
                                  held_for=held_for, **fields)


def _forget(readings):
    if readings:
        Reading.objects.filter(pk__in=[reading.pk for reading in readings]).delete()


def _tell(account, meter, readings, displaced, *, author):
    """The holders told of a reading someone else sent; the authors of readings it displaced,
    that theirs will not go to billing. Written in the submission's transaction."""
    from accounts.messages import notify_user
    from accounts.contacts import masked_person

    who = masked_person(author.user, staff=author.access == Reading.Access.STAFF)
    for holder in holders(account, besides=author.user):
        notify_user(user=holder, template="meters/messages/reading_by_other", account=account, meter=meter,
                    readings=readings, who=who)
    authors = {reading.submitted_by_id: reading.submitted_by for reading in displaced if reading.submitted_by_id}
    for user in authors.values():
        notify_user(user=user, template="meters/messages/reading_held", account=account, meter=meter, who=who)


def reading_choose(*, reading):
    """Staff send a held reading to billing instead of the one it was held for (the admin's
    action on a conflict): that one is held for it in turn, or, already exported, corrected
    by it. Returns False when ``reading`` is not held."""
    with transaction.atomic():
        Meter.objects.select_for_update().get(pk=reading.meter_id)  # as a submission does
        reading = Reading.objects.filter(pk=reading.pk, status=Reading.Status.HELD).first()
        if reading is None:
            return False
        chosen = reading.held_for
        corrects = None
        if chosen is not None and chosen.status == Reading.Status.SUBMITTED:
            corrects = chosen.corrects
            chosen.status, chosen.held_for = Reading.Status.HELD, reading
            chosen.save(update_fields=["status", "held_for"])  # a save, so that the trail sees it
        elif chosen is not None and chosen.status in (Reading.Status.EXPORTED, Reading.Status.ACCEPTED):
            corrects = chosen
        # Everything else held for the same reading now waits behind this one.
        for waiting in Reading.objects.filter(held_for=chosen, status=Reading.Status.HELD).exclude(pk=reading.pk):
            waiting.held_for = reading
            waiting.save(update_fields=["held_for"])
        reading.status, reading.held_for, reading.corrects = Reading.Status.SUBMITTED, None, corrects
        reading.save(update_fields=["status", "held_for", "corrects"])
        fragments.forget_account(reading.meter.account_id)
    return True
