"""The signed-in consumer's meter pages: the submission of readings, and a meter's page with
its consumption by month (a chart and a table per zone) and its readings. The account is reached only through billing.access, then
the meter must be that account's: every other case is the same 404."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _, ngettext

from accounts.contacts import masked_person
from billing import fragments
from billing.access import Need, page_access_link, request_access_link
from billing.models import AccountLink
from portal.pages import tenant_page
from portal.transactions import atomic_unless_safe

from . import charts, selectors, services, states
from .models import Meter, Reading

CHART_MONTHS = 24


@atomic_unless_safe
@tenant_page(kept=True)
def meter(request, account_id, meter_id):
    link = request_access_link(request, account_id, need=Need.FULL)
    today = request.tenant.today()
    page = fragments.cached("meter", tenant_id=request.tenant.pk, account_id=link.account_id, parts=(meter_id, today),
                            build=lambda: _meter_page(link.account, meter_id, today))
    # The body was rendered by meters/meter_body.html, which escaped what it shows.
    return render(request, "meters/meter.html", {"title": page["title"], "body": mark_safe(page["body"])})


def _meter_page(account, meter_id, today):
    """The page's title and body (what billing.fragments caches), or Http404 when the meter is
    not the account's."""
    meter = get_object_or_404(Meter, account_id=account.pk, pk=meter_id)
    unit = selectors.unit_of(meter.service)
    first, _last = selectors.window_of(meter, CHART_MONTHS, today)
    zones = []
    for series in selectors.monthly_consumption(meter, CHART_MONTHS, today=today):
        title = _("Расход по месяцам: %(service)s, счётчик № %(serial)s") % {
            "service": meter.get_service_display(), "serial": meter.serial}
        if meter.zones > 1:
            title += ", " + _("зона %(zone)s") % {"zone": series.zone}
        svg = charts.consumption_svg(series.months, unit=unit, title=title)
        zones.append({"series": series, "title": title, "svg": svg})
    context = {
        "account": account,
        "meter": meter,
        "unit": unit,
        "places": f"{meter.decimals}g",  # floatformat: the meter's decimals, thousands grouped
        "zones": zones,
        "readings": selectors.reading_history(meter, since=selectors.add_months(first, -1)),
        "since": selectors.add_months(first, -1),
        "verification": selectors.verification_state(meter, today),
    }
    return {"title": _("Счётчик № %(serial)s") % {"serial": meter.serial},
            "body": render_to_string("meters/meter_body.html", context)}


# Where the cached body of the readings page takes the request's own CSRF input.
CSRF_MARKER = "<!--csrf-input-->"


@atomic_unless_safe
@tenant_page(kept=True)
def readings(request, account_id):
    """«Показания» → «Ввод показаний»: every meter in service of the current account, a field
    per zone beside its last reading. Meters left empty are skipped; a meter with a question
    («Всё правильно?») comes back with its values and a box to confirm. A reading held for
    another person's (meters.services) says so, to its author and to the holders.

    A GET's body comes from the cache (billing.fragments: under the tenant's, the account's
    and the user's versions; per user, access and day), since the whole customer base opens
    this page in the same five days of the month: 2.7 % of the bare view and p95 877 ms at
    gaz with 100,000 accounts before, see docs/performance.md."""
    link = page_access_link(request, account_id, need=Need.PAY)
    account = link.account
    today = request.tenant.today()
    then_pay = request.GET.get("then") == "pay" or request.POST.get("then") == "pay"
    if request.method != "POST":
        body = fragments.cached("readings", tenant_id=request.tenant.pk, account_id=account.pk, user_id=request.user.pk,
                                parts=(link.access, today, then_pay),
                                build=lambda: _readings_body(request.user, link, today, then_pay))
        return _readings_page(request, body)
    lines = selectors.meter_lines(account, today=today)
    submissions, entered = {}, {}
    for line in lines:
        meter = line.meter
        values = {zone: request.POST.get(f"m{meter.pk}z{zone}", "") for zone in range(1, meter.zones + 1)}
        if not any(value.strip() for value in values.values()):
            continue
        confirmed = {kind for kind in ("lower", "jump") if request.POST.get(f"m{meter.pk}_{kind}")}
        submissions[meter.pk] = services.readings_submit(
            account=account, meter=meter, values=values, user=request.user, access=link.access, confirmed=confirmed,
        )
        entered[meter.pk] = values
    saved = [submission for submission in submissions.values() if submission.saved]
    _say_what_came_of(request, submissions)
    if submissions and len(saved) == len(submissions):
        if then_pay:  # «Передать показания и оплатить»
            ids = ",".join(str(reading.pk) for submission in saved for reading in submission.readings)
            return redirect(f"{reverse('payments:pay', kwargs={'account_id': account.pk})}?readings={ids}")
        if request.POST.get("then") == "home":  # the fields on the signed-in home
            return redirect(settings.LOGIN_REDIRECT_URL)
        return redirect("meters:readings", account_id=account.pk)
    if not submissions:
        messages.error(request, _("Введите показания хотя бы одного прибора."))
    # What was saved shows as the last reading.
    return _readings_page(request, _readings_body(request.user, link, today, then_pay, submissions, entered))


def _readings_page(request, body):
    csrf_input = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request))
    # The body was rendered by meters/readings_body.html, which escaped what it shows.
    return render(request, "meters/readings.html", {"body": mark_safe(body.replace(CSRF_MARKER, csrf_input))})


def _readings_body(user, link, today, then_pay, submissions=None, entered=None):
    """The readings page's content as HTML, with CSRF_MARKER where the form's CSRF input goes."""
    submissions, entered = submissions or {}, entered or {}
    account = link.account
    full = link.access == AccountLink.Access.FULL
    window_state = selectors.window_state(account, today=today)
    lines = selectors.meter_lines(account, today=today)
    rejected = rejected_since_last(lines, today=today)
    if full:  # the holder sees who else submitted (masked); a number alone learns nothing of them
        for line in lines:
            for reading in line.readings:
                author = reading.submitted_by  # an erased author has no contact left to mask
                reading.who = _author_of(reading) if author and (author.email or author.phone) else ""
    rows = [
        {"line": line, "submission": submissions.get(line.meter.pk), "rejected": rejected.get(line.meter.pk, []),
         "entered": entered.get(line.meter.pk, {}) if not getattr(submissions.get(line.meter.pk), "saved", False)
         else {},
         "zones": range(1, line.meter.zones + 1)}
        for line in lines
    ]
    held = selectors.held_readings(account, user=user, everyone=full, today=today)
    return render_to_string("meters/readings_body.html", {
        "user": user, "csrf_input": mark_safe(CSRF_MARKER),
        "link": link, "account": account, "rows": rows, "window": window_state, "full": full,
        "closed": not window_state.accepts,
        "held": [{"reading": reading, "mine": reading.submitted_by_id == user.pk,
                  "who": masked_person(reading.submitted_by, staff=reading.access == Reading.Access.STAFF),
                  "instead_mine": reading.held_for is not None and reading.held_for.submitted_by_id == user.pk,
                  "instead_by": _author_of(reading.held_for)} for reading in held],
        "then_pay": then_pay,
    })


def _say_what_came_of(request, submissions):
    """The banner above the page: a success only when every meter sent was taken (or held for
    another person's, said apart); while one waits for «Да, всё правильно» or was refused, it
    says so instead, and the fieldsets below say which."""
    saved = [submission for submission in submissions.values() if submission.saved]
    sent = [submission for submission in saved if not submission.held]
    waiting = [submission for submission in submissions.values() if not submission.saved and not submission.refused]
    refused = [submission for submission in submissions.values() if submission.refused]
    if waiting or refused:
        parts = []
        if sent:
            parts.append(ngettext("Показания %(count)d прибора приняты.", "Показания %(count)d приборов приняты.",
                                  len(sent)) % {"count": len(sent)})
        if waiting:
            parts.append(ngettext(
                "Ещё %(count)d прибор ждёт вашего «Да, всё правильно» ниже: отметьте и передайте снова.",
                "Ещё %(count)d прибора ждут вашего «Да, всё правильно» ниже: отметьте и передайте снова.",
                len(waiting)) % {"count": len(waiting)})
        if refused:
            parts.append(ngettext("Показания %(count)d прибора не приняты: причина указана ниже.",
                                  "Показания %(count)d приборов не приняты: причины указаны ниже.",
                                  len(refused)) % {"count": len(refused)})
        messages.warning(request, " ".join(parts))
    elif sent:
        periods = sorted({states.reading_period(reading) for submission in sent for reading in submission.readings})
        messages.success(request, ngettext(
            "Показания %(count)d прибора приняты и войдут в расчёт за %(period)s.",
            "Показания %(count)d приборов приняты и войдут в расчёт за %(period)s.", len(sent),
        ) % {"count": len(sent), "period": ", ".join(states.period_name(period) for period in periods)})
    if len(sent) < len(saved):
        messages.warning(request, _("Показания сохранены, но не переданы в расчёт: за этот период по прибору "
                                    "уже передано показание того, чей доступ к счёту подтверждён."))


def _author_of(reading):
    """Who sent ``reading``, masked as the readings page names them."""
    if reading is None:
        return ""
    return masked_person(reading.submitted_by, staff=reading.access == Reading.Access.STAFF)


# How far back a rejected submission is still news on the readings page.
REJECTED_NEWS_DAYS = 92


def rejected_since_last(lines, *, today):
    """{meter id: [reading]}: per zone, a submission billing rejected that is no older than
    the last reading shown beside the field (which skips rejected ones), so the consumer
    learns why their reading is not the last one. One query, whatever the history."""
    if not lines:
        return {}
    last = {(reading.meter_id, reading.zone): reading.taken_on for line in lines for reading in line.readings}
    found = {}
    for reading in (
        Reading.objects.filter(meter__in=[line.meter for line in lines], status=Reading.Status.REJECTED,
                               taken_on__gte=today - timedelta(days=REJECTED_NEWS_DAYS))
        .order_by("meter_id", "zone", "-taken_on", "-pk")
        .only("meter_id", "zone", "value", "taken_on", "source", "status", "status_reason", "submitted_at",
              "submitted_by_id", "period")
    ):
        key = reading.meter_id, reading.zone
        if key not in found and (key not in last or reading.taken_on >= last[key]):
            found[key] = reading
    by_meter = {}
    for (meter_id, _zone), reading in sorted(found.items()):
        by_meter.setdefault(meter_id, []).append(reading)
    return by_meter
