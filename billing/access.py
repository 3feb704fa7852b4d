"""The one way a page reaches a personal account: through the signed-in user's link to it.

Like Zulip's ``access_stream_by_id``: fetched inside the request's tenant scope and the
user's own links, so an account that does not exist, one of another tenant and one of
another consumer all answer the same 404. Pages that show what only full access may see
(invoices, receipts, readings, payments, history) ask for ``full=True`` and send a basic
link to the control question instead.

The current account (the switch in the header) lives in the session under
``CURRENT_ACCOUNT_KEY`` as the account's id; a stale or foreign id falls back to the first
link.
"""

from django.http import Http404

from portal.ids import parse_id

from . import fragments
from .models import AccountLink

CURRENT_ACCOUNT_KEY = "billing:current_account"


class NeedsFullAccess(Exception):
    """The user's link is basic; the page needs full access (the control question)."""

    def __init__(self, link):
        super().__init__(link.account_id)
        self.link = link


# The links are the access check, so their cache is exact (billing.fragments: the user's
# version is replaced by every save or delete of a link); the expiry is only a backstop for
# a change that bypasses those signals (bulk_create calls forget_user; QuerySet.update() on
# links, or raw SQL, must too).
LINKS_TIMEOUT = 300  # seconds


def user_links(user):
    """The user's links with their accounts and suppliers, oldest first: from the cache,
    else one query."""
    return fragments.cached(
        "links", tenant_id=user.tenant_id, account_id=None, user_id=user.pk, parts=(), timeout=LINKS_TIMEOUT,
        build=lambda: list(
            AccountLink.objects.filter(user=user).select_related("account__supplier").order_by("linked_at", "pk")
        ),
    )


def access_link(user, account_id, *, full=False):
    """The user's link to account ``account_id`` (Http404 alike for every reason it is not
    theirs); NeedsFullAccess when ``full`` and the link is basic."""
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
    if full and link.access != AccountLink.Access.FULL:
        raise NeedsFullAccess(link)
    return link


def links_of_request(request):
    """user_links, read once per request (the overview, the header's switch and the page's
    access check all need them)."""
    if not hasattr(request, "_billing_links"):
        request._billing_links = user_links(request.user)
    return request._billing_links


def request_access_link(request, account_id, *, full=False):
    """access_link for the signed-in user of ``request``, found among the links the request
    reads anyway for the header's account switch: no query of its own."""
    account_id = parse_id(account_id)
    if not request.user.is_authenticated or account_id is None:
        raise Http404
    link = next((link for link in links_of_request(request) if link.account_id == account_id), None)
    if link is None:
        raise Http404
    if full and link.access != AccountLink.Access.FULL:
        raise NeedsFullAccess(link)
    return link


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
