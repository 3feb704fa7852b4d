"""Nothing scrolls sideways at 360 px (issue 24, item 5): every consumer page of every tenant,
signed in as its demo consumer (the demo's 24 months of billing data make the widest tables,
mef's history among them), is no wider than the screen. Wide tables become stacked rows there
(static/css/portal.css, .table--stack).

The walk is the route list's, as in portal/tests/test_private_pages.py: a consumer route that
is neither walked here nor excused with a reason fails the first test, so a page added
tomorrow is checked too. The rows the demo lacks (a payment, an appeal with a file) come from
the apps' factories.

Each of those pages is also looked at by axe-core, every impact (moderate and minor too), at
360 px (the menu folded, and unfolded once signed out and once signed in) and at 1280 px (the
menu in one row): issue 24's «no violation on any consumer page at 360 and 1280 px». Not
looked at: EXCUSED (not a page of ours to look at, each with its reason) and the Django admin
(staff's pages, not a consumer's)."""

import pytest
from django.urls import URLResolver, get_resolver

from accounts import demo as accounts_demo
from appeals.factories import appeal_rows
from billing.models import Invoice
from meters.models import Meter
from payments.factories import payment_rows
from portal.scoping import scopes_disabled

from .browser import (DESKTOP, PHONE, axe_violations, close_menu, linked_accounts, log_in_as_demo_consumer,
                      open_menu, tenant)

TENANTS = ["gaz", "mygaz", "mef", "rgmek", "rosseti"]
WIDTH = 360

# Routes that are not a consumer's page to look at, and why.
EXCUSED = {
    "payments/notify/<str:provider_account_id>/": "the provider's server-to-server notification",
    "personal/select/": "a POST that returns to the page it came from",
    "pay/": "the menu's way to the current account's pay page (walked), answered by a redirect",
    "readings/": "the menu's way to the current account's readings page (walked), answered by a redirect",
    "invoices/": "the menu's way to the current account's invoices page (walked), answered by a redirect",
    "accounts/signup/resend/": "a POST answered by a redirect",
    "accounts/activate/resend/": "a POST answered by a redirect",
    "accounts/profile/phone/resend/": "a POST answered by a redirect",
    "accounts/activate/<str:key>/": "a link from a message: a visitor's page, walked signed out below",
    "accounts/password/reset/key/<str:key>/": "a link from a message: a visitor's page",
    "accounts/profile/email/<str:key>/": "a link from a message, answered by a redirect",
    "appeals/<uuid:public_id>/reopen/": "a POST answered by a redirect",
    "applications/<uuid:public_id>/submit/": "a POST answered by a redirect",
    "privacy/delete/cancel/": "a POST answered by a redirect",
    "invoices/<int:invoice_id>/receipt/": "a PDF",
    "invoices/<int:invoice_id>/receipt/status/": "JSON for the waiting page's script",
    "appeals/files/<int:attachment_id>/": "a file",
    "unsubscribe/<str:token>/": "a link from a message, walked in tests/e2e/test_subscriptions.py",
    "sandbox-pay/<str:payment_id>/": "the payment provider's page, not ours",
    "sandbox-pay/api/payments/<str:payment_id>/": "the payment provider's API",
    "dev/outbox/": "a development page",
    "accounts/logout/": "signs out: walked last",
    r"captcha/image/(?P<key>\w+)/$": "an image",
    r"captcha/image/(?P<key>\w+)@2/$": "an image",
    r"captcha/audio/(?P<key>\w+).wav$": "a sound",
    r"captcha/refresh/$": "JSON",
}

# Pages a visitor sees (walked signed out).
VISITOR = ["", "support/", "accounts/login/", "accounts/signup/", "accounts/password/reset/",
           "accounts/password/reset/code/", "accounts/signup/confirm/", "accounts/signup/done/",
           "accounts/signup/continue/", "accounts/inactive/"]


def walk(made):
    """{route: path} for the signed-in consumer, with their objects (None: not on this tenant)."""
    account, meter, invoice = made.get("account"), made.get("meter"), made.get("invoice")
    payment, appeal = made.get("payment"), made.get("appeal")

    def of(obj, path):
        return path if obj is not None else None

    return {
        "overview/": "/overview/",
        "accounts/consents/": "/accounts/consents/",
        "accounts/profile/": "/accounts/profile/",
        "accounts/profile/phone/": "/accounts/profile/",  # a POST: the form lives on the profile
        "accounts/profile/phone/confirm/": "/accounts/profile/phone/confirm/",
        "accounts/profile/email/": "/accounts/profile/",  # likewise
        "accounts/password/change/": "/accounts/password/change/",
        "personal/link/": "/personal/link/",
        "personal/<str:account_id>/unlink/": of(account, f"/personal/{account}/unlink/"),
        "personal/<str:account_id>/extended/": of(account, f"/personal/{account}/extended/"),
        "personal/<str:account_id>/invoices/": of(account, f"/personal/{account}/invoices/"),
        "personal/<str:account_id>/history/": of(account, f"/personal/{account}/history/?since=&until="),
        "invoices/<int:invoice_id>/receipt/wait/": of(invoice, f"/invoices/{invoice}/receipt/wait/"),
        "personal/<str:account_id>/meters/<int:meter_id>/": of(meter, f"/personal/{account}/meters/{meter}/"),
        "personal/<str:account_id>/readings/": of(account, f"/personal/{account}/readings/"),
        "personal/<str:account_id>/pay/": of(account, f"/personal/{account}/pay/"),
        "personal/<str:account_id>/payments/": of(account, f"/personal/{account}/payments/"),
        "payments/<uuid:public_id>/confirm/": of(payment, f"/payments/{payment}/confirm/"),
        "payments/<uuid:public_id>/": of(payment, f"/payments/{payment}/"),
        "appeals/": "/appeals/",
        "appeals/new/": "/appeals/new/",
        "appeals/<uuid:public_id>/": of(appeal, f"/appeals/{appeal}/"),
        "support/question/": "/support/question/",
        "applications/": "/applications/",
        "applications/contract/": "/applications/contract/",
        "applications/<uuid:public_id>/contract/": of(appeal, f"/applications/{appeal}/contract/"),
        "applications/grid/": "/applications/grid/",
        "applications/<uuid:public_id>/grid/": of(appeal, f"/applications/{appeal}/grid/"),
        "applications/<uuid:public_id>/documents/": of(appeal, f"/applications/{appeal}/documents/"),
        "settings/subscriptions/": "/settings/subscriptions/",
        "privacy/data/": "/privacy/data/",
        "privacy/delete/": "/privacy/delete/",
    }


def served_routes(patterns=None, prefix=""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from served_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


def test_every_consumer_route_is_walked_or_excused():
    routes = {route for route in served_routes() if not route.startswith("admin/")}  # staff's, not a consumer's
    walked = set(walk({})) | {f"{path}" for path in VISITOR}
    assert not walked & set(EXCUSED)
    assert routes - walked - set(EXCUSED) == set(), "a route nobody walks at 360 px: add it to walk() or EXCUSED"


def objects_of(slug):
    """The demo consumer's first account, a meter, an invoice, and a payment and an appeal
    made by the factories (ids and public ids)."""
    with scopes_disabled():
        the_tenant = tenant(slug)
        # The `portal` fixture frees guide 000's first counterparty: rgmek's consumer comes back.
        _tenant, user, _count = accounts_demo.seed_consumer(the_tenant)
    accounts = linked_accounts(slug)
    with scopes_disabled():
        account = accounts[0] if accounts else None
        made = {"appeal": appeal_rows(the_tenant, author=user, account=account)["appeal"].public_id}
        if account is not None:
            made["account"] = account.pk
            made["meter"] = Meter.objects.filter(account=account, archived_on__isnull=True).values_list(
                "pk", flat=True).first()
            made["invoice"] = Invoice.objects.filter(account=account).order_by("-period").values_list(
                "pk", flat=True).first()
            made["payment"] = payment_rows(account, user=user)["payment"].public_id
    return made


def width_of(page):
    return page.evaluate("document.documentElement.scrollWidth")


# The menu is folded behind «Меню» at 360 px and open in one row at 1280 px; at 360 px it is
# looked at unfolded too, once signed out and once signed in (the same menu on every page).
UNFOLDED = {"/", "/overview/"}


def settled(page):
    """Let the menu's script answer a width change (matchMedia) before axe looks."""
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


@pytest.mark.parametrize("slug", TENANTS)
def test_no_consumer_page_scrolls_sideways_or_fails_axe(portal, axe_phone, slug):
    """Every page at 360 px (no sideways scroll; axe-core, every impact, the menu folded, and
    unfolded on UNFOLDED) and at 1280 px (axe-core, the menu open in one row). One browser
    page, resized in place: each page is fetched once, looked at in the width the previous one
    was left in, then in the other (one resize a page)."""
    page = axe_phone
    too_wide, shown, violations = {}, 0, []

    def audit(what):
        violations.extend(f"{page.url} {what}: {v}" for v in axe_violations(page, every_impact=True))

    def at(viewport):
        if page.viewport_size != viewport:
            page.set_viewport_size(viewport)
            settled(page)
        if viewport == DESKTOP:
            assert page.locator("[data-menu]").evaluate_all("folds => folds.every(fold => fold.open)"), page.url
            audit("at 1280 px")
            return
        if width_of(page) > WIDTH:
            too_wide[page.url] = width_of(page)
        audit("at 360 px")
        if unfolded:
            open_menu(page)
            audit("at 360 px, menu open")
            close_menu(page)

    def look(path):
        nonlocal shown, unfolded
        response = page.goto(portal.url(slug, path))
        if response.status == 404:  # not this tenant's page (DEBUG's own 404 page is not ours)
            return
        shown += 1
        unfolded = path in UNFOLDED
        widths = [PHONE, DESKTOP] if page.viewport_size == PHONE else [DESKTOP, PHONE]
        for viewport in widths:
            at(viewport)

    unfolded = False
    for path in VISITOR:
        look(f"/{path}")
    made = objects_of(slug)
    log_in_as_demo_consumer(page, portal, slug)
    visited = set()
    for path in walk(made).values():
        if path is None or path in visited:
            continue
        visited.add(path)
        look(path)
    assert too_wide == {}, f"wider than {WIDTH}px: {too_wide}"
    assert violations == [], "\n".join(violations)
    assert shown >= (20 if slug == "rosseti" else 30)
