"""Who may see and do what with a personal account: the access ladder (docs/security.md).

A person reaches an account only through their own link to it, like Zulip's
``access_stream_by_id``: fetched inside the request's tenant scope and the user's own links,
so an account that does not exist, one of another tenant and one of another consumer all
answer the same 404.

Each link has a level, and each page asks for what it ``Need``s:
- **basic**: the link was made by supplier and number alone, which anyone with a receipt
  (or a guess) has. It gives what the tenant's policy shows without proof
  (``TenantPolicy.basic_access``): whether there is a debt, the meters and their last
  readings; the amounts; paying and submitting readings (guide 002). Never the holder's name,
  address or contacts, invoices, receipts, history, or other people's payments.
- **full**: a proof that only the holder has is on the link (``AccountLink.Proof``: the
  control question or PIN, the wizard's surname or INN, the contract's registered contact,
  or staff; billing.links makes and raises links). It gives everything.

A page whose need the link does not meet raises NeedsProof, a kernel PageRedirect: the page
shell (portal.pages.tenant_page) sends the user to the proofs the policy accepts.

The current account (the switch in the header) lives in the session under
``CURRENT_ACCOUNT_KEY`` as the account's id; a stale or foreign id falls back to the first
link.
"""

import enum

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.ids import parse_id
from portal.models import TenantPolicy
from portal.pages import PageRedirect

from . import fragments
from .links import control_questions
from .models import AccountLink


class Need(enum.Enum):
    """What a page or an action needs of a link, from least to most."""

    SEE = "see"  # the overview: whether there is a debt, the meters and their last readings
    AMOUNTS = "amounts"  # the amounts to pay, by service
    PAY = "pay"  # paying, and submitting meter readings
    FULL = "full"  # the holder's data, invoices and receipts, history, meter pages, others' payments


_BASIC_GIVES = {
    TenantPolicy.BasicAccess.STATUS: {Need.SEE},
    TenantPolicy.BasicAccess.BALANCE: {Need.SEE, Need.AMOUNTS},
    TenantPolicy.BasicAccess.PAY: {Need.SEE, Need.AMOUNTS, Need.PAY},
}


def link_gives(link, need, policy):
    """Whether ``link`` meets ``need`` under the tenant's ``policy``."""
    return link.access == AccountLink.Access.FULL or need in basic_gives(policy)


def basic_gives(policy):
    """What a basic link gives under ``policy``. Where the last charge answers the control
    question, never an amount, whatever the policy's row says (one saved past its clean()):
    for someone who pays in full, the amount to pay is that charge."""
    gives = _BASIC_GIVES[policy.basic_access]
    if AccountLink.Proof.LAST_CHARGE in control_questions(policy):
        gives = _BASIC_GIVES[TenantPolicy.BasicAccess.STATUS]
    return gives


class NeedsProof(PageRedirect):
    """The user's link does not meet the page's need: the user must prove the account is
    theirs. The page shell (portal.pages) sends them to the proofs with this message."""

    message = _("Этот раздел откроется, когда вы подтвердите, что лицевой счёт ваш.")

    def __init__(self, link):
        super().__init__()
        self.link = link

    @property
    def url(self):
        return reverse("billing:extended_access", kwargs={"account_id": self.link.account_id})


CURRENT_ACCOUNT_KEY = "billing:current_account"


# The links are the access check, so their cache is exact (billing.fragments: the user's
# version is replaced by every write of a link, update() and bulk_create() included:
# billing/versions.py); the expiry is only a backstop for raw SQL.
# It pays (bench/caches.py at gaz, 100,000 accounts, 2026-12-06, one round at load 7.9–9.4, so
# rough): with it off, the pages' share of the bare view fell 1.5× (median of five; the overview
# 3.5×).
LINKS_TIMEOUT = 300  # seconds
LINKS = "links"


def user_links_keys(tenant_id, user_id):
    """Where user_links reads from: read with the session's user (billing/versions.py PER_USER)."""
    return fragments.keys_of(LINKS, tenant_id=tenant_id, account_id=None, user_id=user_id, parts=())


def user_links(user):
    """The user's links with their accounts and suppliers, oldest first: from the cache,
    else one query."""
    return fragments.cached(
        LINKS, tenant_id=user.tenant_id, account_id=None, user_id=user.pk, parts=(), timeout=LINKS_TIMEOUT,
        build=lambda: list(
            AccountLink.objects.filter(user=user).select_related("account__supplier").order_by("linked_at", "pk")
        ),
    )


def access_link(user, account_id, *, need=Need.SEE):
    """The user's link to account ``account_id`` (Http404 alike for every reason it is not
    theirs); NeedsProof when it does not meet ``need``."""
    account_id = parse_id(account_id)
    if not user.is_authenticated or account_id is None:
        raise Http404
    link = (
        AccountLink.objects.filter(user=user, account_id=account_id)
        .select_related("account__supplier")
        .first()
    )
    if link is None:
        raise Http404
    if not link_gives(link, need, user.tenant.policy):
        raise NeedsProof(link)
    return link


def links_of_request(request):
    """user_links, read once per request (the overview, the header's switch and the page's
    access check all need them)."""
    if not hasattr(request, "_billing_links"):
        request._billing_links = user_links(request.user)
    return request._billing_links


def request_access_link(request, account_id, *, need=Need.SEE):
    """access_link for the signed-in user of ``request``, found among the links the request
    reads anyway for the header's account switch: no query of its own."""
    account_id = parse_id(account_id)
    if not request.user.is_authenticated or account_id is None:
        raise Http404
    link = next((link for link in links_of_request(request) if link.account_id == account_id), None)
    if link is None:
        raise Http404
    if not link_gives(link, need, request.tenant.policy):
        raise NeedsProof(link)
    return link


def page_access_link(request, account_id, *, need=Need.SEE):
    """The link a page's request works with: from the request's cached links for a GET (no
    query), from the database for anything that writes."""
    if request.method in ("GET", "HEAD"):
        return request_access_link(request, account_id, need=need)
    return access_link(request.user, account_id, need=need)


def current_link(request, links):
    """The link of the current account among ``links`` (user_links), or None without any."""
    if not links:
        return None
    wanted = request.session.get(CURRENT_ACCOUNT_KEY)
    for link in links:
        if link.account_id == wanted:
            return link
    return links[0]


def select_account(request, account_id):
    """Make ``account_id`` the current account (Http404 unless it is the user's)."""
    link = access_link(request.user, account_id)
    request.session[CURRENT_ACCOUNT_KEY] = link.account_id
    return link


def holders(account, *, besides=None):
    """The users with full access to ``account`` (its holders, as far as the portal knows),
    but ``besides``: the people told when someone else acts on the account."""
    links = AccountLink.objects.filter(account=account, access=AccountLink.Access.FULL).select_related("user")
    if besides is not None:
        links = links.exclude(user=besides)
    return [link.user for link in links if link.user.is_active]
