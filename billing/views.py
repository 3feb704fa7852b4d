"""The signed-in consumer's pages about their personal accounts: linking and unlinking, the
proofs of extended access, invoices and history (the overview, which shows meters and
payments too, is the cabinet's). Every page that names an account reaches it through
billing.access, so a foreign id is a 404 like a missing one."""

import csv
import re

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from portal.months import add_months, month_start, parse_month
from portal.pages import tenant_page
from portal.ratelimits import by_client
from portal.spreadsheet import not_a_formula
from portal.transactions import atomic_unless_safe

from . import fragments, links, numbers, selectors
from .access import CURRENT_ACCOUNT_KEY, Need, access_link, basic_gives, request_access_link
from .forms import ControlQuestionForm, LinkAccountForm, WizardDetailsForm, WizardTypeForm
from .models import Account, AccountLink, Service, Supplier


@tenant_page
def link_account(request):
    policy = request.tenant.policy
    if policy.account_linking in (policy.AccountLinking.BY_REGISTRATION, policy.AccountLinking.NONE):
        raise Http404
    if not request.user.is_activated:  # activation first: the page says so, no form
        return render(request, "billing/link.html", {"activated": False})
    suppliers = Supplier.objects.filter(is_active=True).order_by("name")
    if policy.account_linking == policy.AccountLinking.WIZARD:
        return _link_wizard(request, suppliers)
    form = LinkAccountForm(request.POST or None, suppliers=suppliers)
    if request.method == "POST" and form.is_valid():
        try:
            link = links.link_by_number(
                user=request.user, client=by_client(None, request), supplier=form.cleaned_data["supplier"],
                number=form.cleaned_data["number"],
            )
        except links.LinkRefused as refused:
            form.add_error("number", refused.message)
        else:
            return _linked(request, link)
    return render(request, "billing/link.html", {"form": form, "suppliers": suppliers, "activated": True})


def _linked(request, link):
    request.session[CURRENT_ACCOUNT_KEY] = link.account_id
    messages.success(request, _("Лицевой счёт %(number)s подключён.") % {"number": link.account.number})
    if link.access == AccountLink.Access.BASIC:
        return redirect("billing:extended_access", account_id=link.account_id)
    return redirect("cabinet:overview")


WIZARD_KEY = "billing:link_wizard"


def _link_wizard(request, suppliers):
    """Guide 003: subscriber type → the fields that type requires → confirm → save. The
    answers wait in the session between steps; the account is looked up again on saving."""
    state = request.session.get(WIZARD_KEY) or {}
    step = request.GET.get("step", "type")
    if step == "details" and state.get("type"):
        form = WizardDetailsForm(request.POST or None, suppliers=suppliers, subscriber_type=state["type"])
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                account = links.wizard_account_find(
                    user=request.user, subscriber_type=state["type"], supplier=data["supplier"],
                    number=data["number"], surname=data.get("surname", ""), inn=data.get("inn", ""),
                )
            except links.LinkRefused as refused:
                form.add_error(None, refused.message)
            else:
                request.session[WIZARD_KEY] = {**state, "account": account.pk}
                return redirect(f"{reverse('billing:link')}?step=confirm")
        return render(request, "billing/link_wizard.html", {"form": form, "step": "details", "state": state})
    if step == "confirm" and state.get("account"):
        account = Account.objects.filter(pk=state["account"]).select_related("supplier").first()
        if account is None:
            raise Http404
        if request.method == "POST":
            del request.session[WIZARD_KEY]
            try:  # the wizard's answers, checked on the step before, are the proof
                link = links.link_create(user=request.user, account=account, proof=AccountLink.Proof.WIZARD)
            except links.LinkRefused as refused:
                messages.error(request, refused.message)
                return redirect("cabinet:overview")
            return _linked(request, link)
        return render(request, "billing/link_wizard.html", {"step": "confirm", "account": account, "state": state})
    form = WizardTypeForm(request.POST or None, initial={"subscriber_type": state.get("type", "individual")})
    if request.method == "POST" and form.is_valid():
        request.session[WIZARD_KEY] = {"type": form.cleaned_data["subscriber_type"]}
        return redirect(f"{reverse('billing:link')}?step=details")
    return render(request, "billing/link_wizard.html", {"form": form, "step": "type"})


@tenant_page
def unlink_account(request, account_id):
    """«Отключить счёт» asks once more, on a page that says what is lost (issue 24): a GET, or
    a POST without ``confirm`` (the overview's button), shows it; its own POST unlinks."""
    link = access_link(request.user, account_id)
    if request.method != "POST" or request.POST.get("confirm") != "1":
        policy = request.tenant.policy
        return render(request, "billing/unlink.html", {
            "link": link, "account": link.account, "full": link.access == AccountLink.Access.FULL,
            "by_registration": policy.account_linking == policy.AccountLinking.BY_REGISTRATION,
        })
    number = link.account.number
    links.link_delete(link=link)
    # Guide 000 links a contract's account again at the next overview, as it always did.
    request.session.pop(links.CONTRACTS_SYNCED_KEY, None)
    messages.success(request, _("Лицевой счёт %(number)s отключён.") % {"number": number})
    return redirect("cabinet:overview")


@tenant_page
def extended_access(request, account_id):
    """The proofs that raise a basic link to full: the control questions the policy asks and
    the account can answer, and a request to staff (guide 004's PIN request)."""
    link = access_link(request.user, account_id)
    if link.access == AccountLink.Access.FULL:
        return redirect("cabinet:overview")
    policy = request.tenant.policy
    questions = links.questions_for(link, policy)
    form = ControlQuestionForm(request.POST or None, questions=questions)
    if request.method == "POST" and "request_pin" in request.POST:
        links.pin_request_create(link=link)
        messages.success(request, links.pin_request_sent_message(policy))
        return redirect("cabinet:overview")
    if request.method == "POST" and form.is_valid():
        granted, message = links.link_prove_by_answer(
            link=link, policy=policy, client=by_client(None, request), question=form.cleaned_data["question"],
            answer=form.cleaned_data["answer"], today=request.tenant.today(),
        )
        if granted:
            messages.success(request, message)
            return redirect("cabinet:overview")
        form.add_error("answer", message)
    return render(request, "billing/extended_access.html", {
        "form": form, "link": link, "policy": policy, "pins_issued": links.pins_issued(policy),
        "gives": {need.value for need in basic_gives(policy)},
    })


@atomic_unless_safe
@tenant_page(kept=True)
def invoices(request, account_id):
    link = request_access_link(request, account_id, need=Need.FULL)
    all_periods = request.GET.get("all") == "1"

    def table():
        return render_to_string("billing/invoices_table.html", {
            "invoices": selectors.invoices(link.account, all_periods=all_periods),
            "all_periods": all_periods, "first_page": selectors.INVOICES_FIRST_PAGE,
        })

    return render(request, "billing/invoices.html", {
        "link": link,
        "table": mark_safe(fragments.cached("invoices", tenant_id=request.tenant.pk, account_id=link.account_id,
                                            parts=(all_periods,), build=table)),
    })


# The history a page shows unless the consumer asks for other months: a year of a tenant's
# data is what people look at, and the whole of it (years of rows) is one click away.
HISTORY_DEFAULT_MONTHS = 12


@atomic_unless_safe
@tenant_page(kept=True)
def history(request, account_id):
    link = request_access_link(request, account_id, need=Need.FULL)
    service = request.GET.get("service") if request.GET.get("service") in Service.values else None
    since, until = parse_month(request.GET.get("since")), parse_month(request.GET.get("until"))
    # A filter sent with both months empty asks for everything; no filter at all, the last year.
    default = "since" not in request.GET and "until" not in request.GET
    if default:
        since = add_months(month_start(request.tenant.today()), 1 - HISTORY_DEFAULT_MONTHS)
    if request.GET.get("format") == "csv":
        return _history_csv(link, selectors.history(link.account, service=service, since=since, until=until))

    def body():
        return render_to_string("billing/history_body.html", {
            "account": link.account, "services": Service.choices, "service": service, "default": default,
            "default_months": HISTORY_DEFAULT_MONTHS,
            "since": f"{since:%Y-%m}" if since else "", "until": f"{until:%Y-%m}" if until else "",
            "history": selectors.history(link.account, service=service, since=since, until=until),
        })

    return render(request, "billing/history.html", {
        "link": link,
        "body": mark_safe(fragments.cached("history", tenant_id=request.tenant.pk, account_id=link.account_id,
                                           parts=(service or "", since or "", until or "", default), build=body)),
    })


def _history_csv(link, found):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    # The number comes from billing's files: quotes or a line break would break the header.
    number = re.sub(r"[^0-9A-Za-z_-]+", "-", link.account.number).strip("-") or str(link.account_id)
    response["Content-Disposition"] = f'attachment; filename="history-{number}.csv"'
    # Russian Excel: UTF-8 with a BOM, «;» between cells and a decimal comma (a point reads as a date).
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";")
    number = numbers.plain_number
    writer.writerow([_("Период"), _("Услуга"), _("Долг на начало"), _("Объём"), _("Ед."), _("Тариф"),
                     _("Начислено"), _("Перерасчёт"), _("Основание перерасчёта"), _("Оплачено"), _("К оплате")])
    for charge in found.charges:
        writer.writerow([
            f"{charge.period:%Y-%m}", charge.get_service_display(), number(charge.opening_balance),
            number(charge.volume), not_a_formula(numbers.unit_name(charge.unit)), number(charge.tariff),
            number(charge.charged), number(charge.recalculated), not_a_formula(charge.recalculation_reason),
            number(charge.paid), number(charge.closing_balance),
        ])
    writer.writerow([])
    writer.writerow([_("Дата платежа"), _("Сумма"), _("Способ")])
    for payment in found.payments:
        # Text from billing's files, opened in Excel: never a formula.
        writer.writerow([f"{payment.paid_at:%Y-%m-%d %H:%M}", number(payment.amount), not_a_formula(payment.channel)])
    return response
