"""Every state of a reading, and of the reading window, in one sentence (issue 24): the same
words on the overview, the readings page and a meter's page, each saying what it means for
the bill. Templates show them through meters/reading_state.html; the overview asks for the
window's sentence through meters.selectors.window_state.

A reading's states, in the order it lives them:

- accepted (``submitted``): taken by the portal, counts for the period it was given in;
- accepted out of the window (``submitted``, its period after the month it was taken): counts
  for the next period;
- sent to billing (``exported``); taken by billing (``accepted``); rejected by billing
  (``rejected``, with billing's reason);
- held: kept, another person's reading of the same period goes to billing instead;
- billing's own readings: automatic, a controller's, an estimate.

Two more belong to a submission, not to a stored reading: refused (the window is closed, the
form is disabled and the window's sentence says when it opens), and waiting for the
consumer's «Да, всё правильно» (readings.html says it beside the box to tick).
"""

import calendar
import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.utils.formats import date_format
from django.utils.translation import gettext as _, ngettext

from portal.months import add_months

from .models import Reading, ReadingWindow

DEFAULT_WINDOW = (15, 25, False)  # ПП 354: readings passed by the 25th count for the month


def period_name(month):
    """«декабрь 2026»: the billing period as the sentences name it («за декабрь 2026»)."""
    text = date_format(month, "F Y")
    return text[:1].lower() + text[1:]


def day_and_month(day):
    """«25 декабря»."""
    return date_format(day, "j E")


# --- A reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadingState:
    key: str  # accepted, accepted_next, exported, taken, rejected, held, amr, controller, estimated, billing
    text: str  # lower-case: it follows the value and the date («… на 05.12.2026 — принято, …»)
    tone: str = ""  # "", "warning" or "error": how the page marks it

    def __str__(self):
        return self.text


def reading_period(reading):
    """The period a reading counts for: its own, or the month it was taken (billing's)."""
    return reading.period or reading.taken_on.replace(day=1)


def reading_state(reading):
    """The sentence of ``reading``'s state (a ReadingState)."""
    status, period = reading.status, period_name(reading_period(reading))
    if status == Reading.Status.SUBMITTED:
        if reading.period and reading.period > reading.taken_on.replace(day=1):
            return ReadingState("accepted_next", _("принято после окна приёма, войдёт в расчёт за %(period)s")
                                % {"period": period})
        return ReadingState("accepted", _("принято, войдёт в расчёт за %(period)s") % {"period": period})
    if status == Reading.Status.EXPORTED:
        return ReadingState("exported", _("отправлено в расчётный центр, войдёт в расчёт за %(period)s")
                            % {"period": period})
    if status == Reading.Status.ACCEPTED:
        return ReadingState("taken", _("учтено в расчёте за %(period)s") % {"period": period})
    if status == Reading.Status.REJECTED:
        if reading.status_reason:
            return ReadingState("rejected", _("не принято расчётным центром: %(reason)s")
                                % {"reason": reading.status_reason}, "error")
        return ReadingState("rejected", _("не принято расчётным центром, причина не указана"), "error")
    if status == Reading.Status.HELD:
        return ReadingState("held", _("не передано в расчёт: за этот период идёт показание другого пользователя"),
                            "warning")
    if reading.source == Reading.Source.ESTIMATED:
        return ReadingState("estimated", _("расчётное, не по счётчику"))
    if reading.source == Reading.Source.AMR:
        return ReadingState("amr", _("снято автоматически"))
    if reading.source == Reading.Source.CONTROLLER:
        return ReadingState("controller", _("снято контролёром"))
    return ReadingState("billing", _("учтено в расчёте за %(period)s") % {"period": period})


def reading_author(reading, *, viewer_id=None, who="", others=False):
    """Who sent a reading submitted here, said only when it is worth saying: «передано вами»
    to its author, «принято по телефону» for staff's, «передано пользователем …» with a
    masked ``who`` (the holder's readings page), «передано другим пользователем» when
    ``others`` asks for it and no one is left to name (an erased author); "" otherwise (a page
    kept for every viewer names no one)."""
    if not reading.submitted_at:
        return ""
    if reading.source == Reading.Source.STAFF:
        return _("передано по телефону")
    if viewer_id is not None and reading.submitted_by_id == viewer_id:
        return _("передано вами")
    if who:
        return _("передано пользователем %(who)s") % {"who": who}
    if others and viewer_id is not None:
        return _("передано другим пользователем")
    return ""


# --- The window --------------------------------------------------------------------------


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
            return WindowState(self, "before", first=first, last=last, days=first - today.day, today=today)
        if today.day > last:
            return WindowState(self, "after", first=first, last=last, days=0, today=today)
        return WindowState(self, "open", first=first, last=last, days=last - today.day, today=today)


@dataclass(frozen=True)
class WindowState:
    window: Window
    state: str  # "before", "open" or "after"
    first: int
    last: int
    days: int  # open: days left after today; before: days until it opens
    today: datetime.date | None = None

    @property
    def accepts(self):
        return self.state == "open" or not self.window.strict

    @property
    def next_period(self):
        """A reading taken after the window counts for the next billing period."""
        return self.state == "after"

    @property
    def period(self):
        """The period a reading passed today counts for."""
        month = self.today.replace(day=1)
        return add_months(month, 1) if self.next_period else month

    def opens_next(self):
        """The day the next window opens (after this month's closed)."""
        month = add_months(self.today.replace(day=1), 1)
        return month.replace(day=min(self.window.first_day, calendar.monthrange(month.year, month.month)[1]))

    def text(self):
        """The window's state in one sentence, with what a reading passed today means."""
        month = self.today.replace(day=1)
        first, last = month.replace(day=self.first), month.replace(day=self.last)
        names = {"first": day_and_month(first), "last": day_and_month(last), "last_day": self.last,
                 "period": period_name(self.period)}
        if self.state == "open":
            if self.days == 0:
                return _("Приём показаний открыт по %(last)s, сегодня последний день: переданные сейчас войдут в "
                         "расчёт за %(period)s.") % names
            return ngettext(
                "Приём показаний открыт по %(last)s, остался %(count)d день: переданные сейчас войдут в расчёт "
                "за %(period)s.",
                "Приём показаний открыт по %(last)s, осталось %(count)d дней: переданные сейчас войдут в расчёт "
                "за %(period)s.", self.days + 1) % {**names, "count": self.days + 1}
        if self.state == "before":
            if self.window.strict:
                return ngettext(
                    "Приём показаний откроется через %(count)d день, %(first)s, и продлится по %(last_day)d число; "
                    "до этого показания не принимаются.",
                    "Приём показаний откроется через %(count)d дней, %(first)s, и продлится по %(last_day)d число; "
                    "до этого показания не принимаются.", self.days) % {**names, "count": self.days}
            return _("Приём показаний — с %(first)d по %(last)s, но передать их можно и сейчас: они войдут в "
                     "расчёт за %(period)s.") % {**names, "first": self.first}
        if self.window.strict:
            opens = self.opens_next()
            count = (opens - self.today).days
            return ngettext(
                "Приём показаний за %(month)s закончился %(last)s; следующий откроется через %(count)d день, "
                "%(opens)s.",
                "Приём показаний за %(month)s закончился %(last)s; следующий откроется через %(count)d дней, "
                "%(opens)s.", count) % {**names, "month": period_name(month), "count": count,
                                        "opens": day_and_month(opens)}
        return _("Приём показаний за %(month)s закончился %(last)s: переданные сейчас войдут в расчёт за "
                 "%(period)s.") % {**names, "month": period_name(month)}

    def refusal(self):
        """What a reading passed while the window refuses it is told."""
        return _("Не принято: %(window)s") % {"window": self.text()}


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
