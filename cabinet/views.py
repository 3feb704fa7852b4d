"""The consumer's cabinet: the overview, where billing, meters and payments meet (the
account's charges, its meters' reading window, and payments billing has not reported yet),
and the header's account switch. The only app that imports all three (docs/architecture.md)."""

import re

from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from appeals.applications.views import applicant_home
from billing import fragments, links, selectors
from billing.access import Need, basic_gives, current_link, link_gives, links_of_request, select_account
from billing.models import AccountLink
from meters.selectors import meter_lines, window_state
from payments.selectors import amount_due, awaiting_totals
from portal.page_cache import one_time_token
from portal.pages import tenant_page
from portal.transactions import atomic_unless_safe


@atomic_unless_safe
@tenant_page(kept=True)
def overview(request):
    policy = request.tenant.policy
    if not policy.has_accounts:  # guide 001: an applicant's home is their applications
        return applicant_home(request)
    by_registration = policy.account_linking == policy.AccountLinking.BY_REGISTRATION
    # Guide 000's contracts (before the links: they may add some); other tenants' consumers
    # have none to ask for.
    contracts = _registration_contracts(request) if by_registration else []
    user_links = links_of_request(request)
    link = current_link(request, user_links)
    context = {
        "contracts": contracts,
        "links": user_links,
        "link": link,
        "can_link": not by_registration,
        "several": len(user_links) > 1,
        "basic_shows_amounts": Need.AMOUNTS in basic_gives(policy),
    }
    if link is None:
        return render(request, "cabinet/overview.html", context)
    full = link.access == AccountLink.Access.FULL
    context["amounts"], context["pays"] = link_gives(link, Need.AMOUNTS, policy), link_gives(link, Need.PAY, policy)
    tenant, today = request.tenant, request.tenant.today()
    # Everything below the title but the forms' tokens, for this user, link, access and day:
    # the current account's data (its version), the summary of the others (their charges
    # change by import, the tenant's version; payments not yet posted replace every linked
    # user's version, payments.services) and the links themselves (the user's version).
    body = fragments.cached(
        "overview-body", tenant_id=tenant.pk, account_id=link.account_id, user_id=request.user.pk,
        parts=(link.pk, full, context["amounts"], context["pays"], context["basic_shows_amounts"],
               context["can_link"], today),
        build=lambda: _body(context, full=full, tenant=tenant, today=today))
    # The forms the cached body's buttons and fields belong to (form="…"), at the addresses
    # kept with it: the CSRF token and the payment's token are this request's, never in the cache.
    context["body"], context["actions"] = mark_safe(body["html"]), body["actions"]  # rendered by our template
    context["pay_token"] = one_time_token()
    return render(request, "cabinet/overview.html", context)


def _body(context, *, full, tenant, today):
    """The overview's body for a user with a current account: its HTML, and the addresses of
    the forms its buttons belong to (reversing them on every request was 12 % of the page's
    instructions by callgrind, docs/performance.md)."""
    link, user_links = context["link"], context["links"]
    block = _account_block(link.account, full=full, amounts=context["amounts"], pays=context["pays"],
                           tenant=tenant, today=today)
    summary = None
    if context["several"]:
        totals = _totals(sorted(item.account_id for item in user_links), today)
        summary = [(item, totals.get(item.account_id)) for item in user_links]
    account_id = link.account_id
    return {
        "html": render_to_string("cabinet/overview_body.html",
                                 {**context, "account_block": mark_safe(block), "summary": summary}),
        "actions": {"pay": reverse("payments:pay", kwargs={"account_id": account_id}),
                    "readings": reverse("meters:readings", kwargs={"account_id": account_id}),
                    "select": reverse("cabinet:select"),
                    "unlink": reverse("billing:unlink", kwargs={"account_id": account_id})},
    }


def _totals(account_ids, today):
    """{account id: (what is owed now, as Due.to_pay or the overpayment, negative; paid here and
    not yet posted)} for the summary of several accounts; two queries."""
    billed, paid = selectors.last_period_totals(account_ids), awaiting_totals(account_ids, today=today)
    totals = {}
    for account_id, amount in billed.items():
        awaiting = paid.get(account_id, 0)
        totals[account_id] = (max(amount - awaiting, 0) if amount > 0 else amount, awaiting)
    return totals


def _registration_contracts(request):
    """Guide 000: the user's contracts, and the accounts of those contracts linked
    (links.contract_links_sync). Both change only with the tenant's billing data (an
    import of accounts or contracts replaces its fragments' version), so the links are
    synced once per session and version, and the contracts come from the cache: no query on
    most visits of the overview."""
    tenant_id, user = request.tenant.pk, request.user
    version = fragments.tenant_version(tenant_id)
    if request.session.get(links.CONTRACTS_SYNCED_KEY) != version:
        links.contract_links_sync(user=user)
        request.session[links.CONTRACTS_SYNCED_KEY] = version
    return fragments.cached("contracts", tenant_id=tenant_id, account_id=None, parts=("user", user.pk),
                            build=lambda: selectors.contracts_for_user(user))


def _account_block(account, *, full, amounts, pays, tenant, today):
    """The overview's section about one account, as HTML (in the cached body): what the
    access level gives, on the day. The routine first: what is owed
    now (billing's amount less what was paid here and not posted yet, whoever paid: the
    debt is the account's), the reading window, «Оплатить N ₽» and the readings' fields.
    ``today``: the day the fragment is kept for (one read of the clock for key and content)."""
    overview = selectors.account_overview(account, full=full)
    overview.meters = meter_lines(account, today=today)
    due = amount_due(account, billed=overview.to_pay, tenant=tenant)
    context = {"overview": overview, "account": account, "full": full, "amounts": amounts, "pays": pays,
               "due": due, "today": today}
    if overview.meters:
        context["window"] = window_state(account, today=today)
        # The readings' fields on the home, where the window takes them (meters' rules).
        context["fields"] = pays and context["window"].accepts
    if full and overview.period:  # the month's receipt, one tap from the home
        context["invoice"] = selectors.invoice_of(account, overview.period)
    return render_to_string("cabinet/overview_account.html", context)


@tenant_page
@require_GET
def current(request, page):
    """The menu's entry for one of the current account's pages: that page, or the home
    (which says how to link an account) without one."""
    link = current_link(request, links_of_request(request))
    if link is None:
        return redirect("cabinet:overview")
    return redirect(page, account_id=link.account_id)


@tenant_page
@require_POST
def select(request):
    link = select_account(request, request.POST.get("account", ""))
    return redirect(_same_page_for(request.POST.get("next", ""), link.account_id, request))


# The pages of one account that the switch keeps: the same page of the account chosen.
SAME_PAGE = {"invoices": "billing:invoices", "history": "billing:history", "pay": "payments:pay",
             "payments": "payments:history", "readings": "meters:readings"}


def _same_page_for(target, account_id, request):
    """Where the header's switch returns: the same page of the newly chosen account, the
    overview from a page of one meter or account, the page itself elsewhere."""
    overview = reverse("cabinet:overview")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        return overview
    page = re.fullmatch(r"/personal/\d+/(invoices|history|pay|payments|readings)/", target)
    if page:
        return reverse(SAME_PAGE[page[1]], kwargs={"account_id": account_id})
    return overview if target.startswith("/personal/") else target
