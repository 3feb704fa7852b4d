"""The consumer's cabinet: the overview, where billing, meters and payments meet (the
account's charges, its meters' reading window, and payments billing has not reported yet),
and the header's account switch. The only app that imports all three (docs/architecture.md)."""

import re

from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from appeals.applications.views import applicant_home
from billing import fragments, links, selectors
from billing.access import Need, basic_gives, current_link, link_gives, links_of_request, select_account
from billing.models import AccountLink
from meters.selectors import meter_lines, window_state
from payments.selectors import awaiting_billing
from portal.pages import tenant_page
from portal.transactions import atomic_unless_safe


@atomic_unless_safe
@tenant_page
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
        "basic_shows_amounts": Need.AMOUNTS in basic_gives(policy),
    }
    if link is not None:
        full = link.access == AccountLink.Access.FULL
        amounts, pays = link_gives(link, Need.AMOUNTS, policy), link_gives(link, Need.PAY, policy)
        today = request.tenant.today()
        asked = [fragments.Fragment(
            "overview", request.tenant.pk, link.account_id, (full, amounts, pays, today),
            lambda: _account_block(link.account, full=full, amounts=amounts, pays=pays, today=today),
        )]
        if len(user_links) > 1:
            # Each account's amount to pay: charges, which only an import changes.
            account_ids = sorted(item.account_id for item in user_links)
            asked.append(fragments.Fragment("totals", request.tenant.pk, None, tuple(account_ids),
                                            lambda: selectors.last_period_totals(account_ids)))
        html, *totals = fragments.cached_together(*asked)  # one round trip for both
        context["account_block"] = mark_safe(html)  # rendered by our template, escaped there
        if totals:
            context["summary"] = [(item, totals[0].get(item.account_id)) for item in user_links]
    return render(request, "cabinet/overview.html", context)


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


def _account_block(account, *, full, amounts, pays, today):
    """The overview's section about one account, as HTML: what billing.fragments caches under
    the account, what the access level gives and the day."""
    overview = selectors.account_overview(account, full=full)
    overview.meters = meter_lines(account, today=today)
    context = {"overview": overview, "account": account, "full": full, "amounts": amounts, "pays": pays}
    if overview.meters:
        context["window"] = window_state(account, today=today)
    if full:  # «оплачено 1 500 ₽, ожидает учёта»: paid here, not yet in billing's data
        context["awaiting"], context["awaiting_total"] = awaiting_billing(account, today=today)
    return render_to_string("cabinet/overview_account.html", context)


@tenant_page
@require_POST
def select(request):
    link = select_account(request, request.POST.get("account", ""))
    return redirect(_same_page_for(request.POST.get("next", ""), link.account_id, request))


def _same_page_for(target, account_id, request):
    """Where the header's switch returns: the same page of the newly chosen account, the
    overview from a page of one meter or account, the page itself elsewhere."""
    overview = reverse("cabinet:overview")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        return overview
    page = re.fullmatch(r"/personal/\d+/(invoices|history)/", target)
    if page:
        return reverse(f"billing:{page[1]}", kwargs={"account_id": account_id})
    return overview if target.startswith("/personal/") else target
