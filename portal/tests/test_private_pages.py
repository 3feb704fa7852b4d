"""Every personal page and download is served ``Cache-Control: private, no-store`` (issue 22,
part 3), by one mechanism: ``portal.middleware.PrivateResponseMiddleware``.

The walk fetches every URL the project serves (but the admin's, checked apart) as a
signed-in customer with full access to an account that has an invoice with a rendered
receipt, a meter, a payment, an appeal with a file and subscriptions, and fails on a URL
that is neither walked nor excused with a reason: a page added tomorrow is walked too.
Visitors without a session keep getting the anonymous pages as before, kept in memory and
with no such header (portal.page_cache)."""

import datetime
import io
import zipfile

import pytest
from captcha.models import CaptchaStore
from django.core.files.storage import FileSystemStorage
from django.urls import URLResolver, get_resolver

from accounts.factories import UserFactory
from appeals.factories import appeal_rows
from appeals.models import Attachment
from billing.receipts import services as receipts
from billing.demo import payee_details
from billing.factories import SupplierFactory, invoice_with_charges
from meters.models import Meter
from notifications.factories import notification_rows
from notifications.services import unsubscribe_token
from payments.factories import payment_rows
from portal.scoping import tenant_scope

# URLs that are not a person's page, so not walked.
EXCUSED = {
    "payments/notify/<str:provider_account_id>/": "the payment provider's server-to-server notification: no browser, "
                                                  "no session, answered to the provider",
}


@pytest.fixture(autouse=True)
def _files_in_tmp(settings, tmp_path, monkeypatch):
    settings.STORAGES = {**settings.STORAGES, "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "private")},
    }}
    # A FileField binds its storage when the model loads: the field's own storage is swapped.
    monkeypatch.setattr(Attachment._meta.get_field("file"), "storage",
                        FileSystemStorage(location=str(tmp_path / "private")))


@pytest.fixture
def customer(tenants, tenant_client):
    """A signed-in customer of alpha with a row of every kind their pages show: (client,
    the objects by name)."""
    alpha, _beta = tenants
    user = UserFactory(tenant=alpha, phone="+79001112233")
    supplier = SupplierFactory(tenant=alpha, code="ryazan", name="Газ Рязань", **payee_details("ryazan"))
    made = invoice_with_charges(supplier, "23185952", user=user, access="full")
    account, invoice = made["account"], made["invoice"]
    with tenant_scope(alpha):
        meter = Meter.objects.create(tenant=alpha, account=account, serial="M-1", service="gas",
                                     verified_until=datetime.date(2030, 1, 1))
        receipts.render_receipt(invoice.pk)
    payment = payment_rows(account, user=user)["payment"]
    appeal_made = appeal_rows(alpha, author=user, account=account)  # a contract application, sent, with a file
    notification_rows(user)
    client = tenant_client(alpha)
    client.force_login(user)
    return client, {
        "user": user, "account": account, "invoice": invoice, "meter": meter, "payment": payment,
        "appeal": appeal_made["appeal"], "attachment": appeal_made["attachment"],
        "unsubscribe": unsubscribe_token(user_id=user.pk, tenant_id=alpha.pk, topic="invoice_notices"),
        "captcha": CaptchaStore.generate_key(),
    }


def walk(made):
    """{route: (method, path, data)}: how each route is fetched, with the customer's objects."""
    account, appeal = made["account"].pk, made["appeal"].public_id
    invoice, payment, captcha = made["invoice"].pk, made["payment"].public_id, made["captcha"]
    return {
        "": ("GET", "/", None),
        "support/": ("GET", "/support/", None),
        "dev/outbox/": ("GET", "/dev/outbox/", None),  # DEBUG only: a 404 here
        "accounts/signup/": ("GET", "/accounts/signup/", None),
        "accounts/signup/confirm/": ("GET", "/accounts/signup/confirm/", None),
        "accounts/signup/resend/": ("POST", "/accounts/signup/resend/", {}),
        "accounts/signup/done/": ("GET", "/accounts/signup/done/", None),
        "accounts/signup/continue/": ("GET", "/accounts/signup/continue/", None),
        "accounts/activate/resend/": ("POST", "/accounts/activate/resend/", {}),
        "accounts/activate/<str:key>/": ("GET", "/accounts/activate/no-such-key/", None),
        "accounts/password/reset/": ("GET", "/accounts/password/reset/", None),
        "accounts/password/reset/code/": ("GET", "/accounts/password/reset/code/", None),
        "accounts/password/reset/key/<str:key>/": ("GET", "/accounts/password/reset/key/no-such-key/", None),
        "accounts/consents/": ("GET", "/accounts/consents/", None),
        "accounts/profile/": ("GET", "/accounts/profile/", None),
        "accounts/profile/phone/": ("POST", "/accounts/profile/phone/", {}),
        "accounts/profile/phone/confirm/": ("GET", "/accounts/profile/phone/confirm/", None),
        "accounts/profile/phone/resend/": ("POST", "/accounts/profile/phone/resend/", {}),
        "accounts/profile/email/": ("POST", "/accounts/profile/email/", {}),
        "accounts/profile/email/<str:key>/": ("GET", "/accounts/profile/email/no-such-key/", None),
        "accounts/login/": ("GET", "/accounts/login/", None),
        "accounts/logout/": ("GET", "/accounts/logout/", None),  # the question; signing out is walked apart
        "accounts/password/change/": ("GET", "/accounts/password/change/", None),
        "accounts/inactive/": ("GET", "/accounts/inactive/", None),
        "overview/": ("GET", "/overview/", None),
        "personal/link/": ("GET", "/personal/link/", None),
        "personal/select/": ("POST", "/personal/select/", {"account": account}),
        "personal/<str:account_id>/unlink/": ("GET", f"/personal/{account}/unlink/", None),  # the question; its POST unlinks
        "personal/<str:account_id>/extended/": ("GET", f"/personal/{account}/extended/", None),
        "personal/<str:account_id>/invoices/": ("GET", f"/personal/{account}/invoices/", None),
        "personal/<str:account_id>/history/": ("GET", f"/personal/{account}/history/", None),
        "invoices/<int:invoice_id>/receipt/": ("GET", f"/invoices/{invoice}/receipt/", None),
        "invoices/<int:invoice_id>/receipt/wait/": ("GET", f"/invoices/{invoice}/receipt/wait/", None),
        "invoices/<int:invoice_id>/receipt/status/": ("GET", f"/invoices/{invoice}/receipt/status/", None),
        "personal/<str:account_id>/meters/<int:meter_id>/": ("GET", f"/personal/{account}/meters/{made['meter'].pk}/",
                                                             None),
        "personal/<str:account_id>/readings/": ("GET", f"/personal/{account}/readings/", None),
        "personal/<str:account_id>/pay/": ("GET", f"/personal/{account}/pay/", None),
        "personal/<str:account_id>/payments/": ("GET", f"/personal/{account}/payments/", None),
        "payments/<uuid:public_id>/confirm/": ("GET", f"/payments/{payment}/confirm/", None),
        "payments/<uuid:public_id>/": ("GET", f"/payments/{payment}/", None),
        "sandbox-pay/<str:payment_id>/": ("GET", "/sandbox-pay/no-such-payment/", None),
        "sandbox-pay/api/payments/<str:payment_id>/": ("GET", "/sandbox-pay/api/payments/no-such-payment/", None),
        "appeals/": ("GET", "/appeals/", None),
        "appeals/new/": ("GET", "/appeals/new/", None),
        "appeals/<uuid:public_id>/": ("GET", f"/appeals/{appeal}/", None),
        "appeals/<uuid:public_id>/reopen/": ("POST", f"/appeals/{appeal}/reopen/", {}),
        "appeals/files/<int:attachment_id>/": ("GET", f"/appeals/files/{made['attachment'].pk}/", None),
        "support/question/": ("GET", "/support/question/", None),
        "applications/": ("GET", "/applications/", None),
        "applications/contract/": ("GET", "/applications/contract/", None),
        "applications/<uuid:public_id>/contract/": ("GET", f"/applications/{appeal}/contract/", None),
        "applications/grid/": ("GET", "/applications/grid/", None),
        "applications/<uuid:public_id>/grid/": ("GET", f"/applications/{appeal}/grid/", None),
        "applications/<uuid:public_id>/documents/": ("GET", f"/applications/{appeal}/documents/", None),
        "applications/<uuid:public_id>/submit/": ("POST", f"/applications/{appeal}/submit/", {}),
        "settings/subscriptions/": ("GET", "/settings/subscriptions/", None),
        "unsubscribe/<str:token>/": ("GET", f"/unsubscribe/{made['unsubscribe']}/", None),
        "privacy/data/": ("GET", "/privacy/data/", None),
        "privacy/delete/": ("GET", "/privacy/delete/", None),
        "privacy/delete/cancel/": ("POST", "/privacy/delete/cancel/", {}),
        r"captcha/image/(?P<key>\w+)/$": ("GET", f"/captcha/image/{captcha}/", None),
        r"captcha/image/(?P<key>\w+)@2/$": ("GET", f"/captcha/image/{captcha}@2/", None),
        r"captcha/audio/(?P<key>\w+).wav$": ("GET", f"/captcha/audio/{captcha}.wav", None),
        r"captcha/refresh/$": ("GET", "/captcha/refresh/", None),
    }


# The personal pages and downloads the issue names, and what each must answer: the walk
# reaches the real thing, not a redirect or a 404 that would carry the header just as well.
PERSONAL = {
    "/overview/": (200, "text/html"),
    "/personal/{account}/invoices/": (200, "text/html"),
    "/invoices/{invoice}/receipt/": (200, "application/pdf"),
    "/personal/{account}/history/": (200, "text/html"),
    "/personal/{account}/history/?format=csv": (200, "text/csv"),
    "/personal/{account}/meters/{meter}/": (200, "text/html"),
    "/personal/{account}/readings/": (200, "text/html"),
    "/personal/{account}/payments/": (200, "text/html"),
    "/payments/{payment}/": (200, "text/html"),
    "/appeals/": (200, "text/html"),
    "/appeals/{appeal}/": (200, "text/html"),
    "/appeals/files/{attachment}/": (200, "application/pdf"),
    "/applications/": (200, "text/html"),
    "/accounts/profile/": (200, "text/html"),
    "/settings/subscriptions/": (200, "text/html"),
    "/privacy/data/": (200, "text/html"),
}


def served_routes(patterns=None, prefix=""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from served_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


def directives(response):
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


def fetch(client, method, path, data):
    return client.get(path) if method == "GET" else client.post(path, data)


class _Any:
    """A stand-in for each object of walk(): the routes, not the paths, are compared."""

    pk = public_id = "1"

    def __str__(self):
        return "1"


def test_every_route_is_walked_or_excused():
    routes = {route for route in served_routes() if not route.startswith("admin/")}
    walked = set(walk({name: _Any() for name in ("account", "appeal", "invoice", "payment", "captcha", "meter",
                                                   "attachment", "unsubscribe")}))
    assert not walked & set(EXCUSED), "a route is walked and excused"
    assert routes - walked - set(EXCUSED) == set(), "a route nobody walks: add it to walk() or to EXCUSED"
    assert (walked | set(EXCUSED)) - routes == set(), "a route walked here that the project no longer serves"


@pytest.mark.django_db
def test_every_response_to_a_signed_in_customer_is_private_and_not_stored(customer):
    client, made = customer
    answers = {}
    for route, (method, path, data) in walk(made).items():
        response = fetch(client, method, path, data)
        answers[route] = (response.status_code, directives(response))
        if response.streaming:
            b"".join(response.streaming_content)  # read to the end: the test client then closes the file
    missing = {route: answer for route, answer in answers.items() if not {"private", "no-store"} <= answer[1]}
    assert missing == {}


@pytest.mark.django_db
def test_the_personal_pages_and_downloads_are_reached_and_not_stored(customer):
    client, made = customer
    names = {"account": made["account"].pk, "invoice": made["invoice"].pk, "meter": made["meter"].pk,
             "payment": made["payment"].public_id, "appeal": made["appeal"].public_id,
             "attachment": made["attachment"].pk}
    for template, (status, content_type) in PERSONAL.items():
        path = template.format(**names)
        response = client.get(path)
        assert (response.status_code, response["Content-Type"].split(";")[0]) == (status, content_type), path
        assert {"private", "no-store"} <= directives(response), path
        if response.streaming:
            b"".join(response.streaming_content)
    export = client.post("/privacy/data/")
    assert export["Content-Type"] == "application/zip" and {"private", "no-store"} <= directives(export)
    assert "data.json" in zipfile.ZipFile(io.BytesIO(b"".join(export.streaming_content))).namelist()


@pytest.mark.django_db
def test_signing_in_and_out_is_not_stored_either(tenants, tenant_client):
    alpha, _beta = tenants
    user = UserFactory(tenant=alpha)
    client = tenant_client(alpha)
    signed_in = client.post("/accounts/login/", {"login": user.username, "password": "Pass-word-2026"})
    assert signed_in.status_code == 302 and {"private", "no-store"} <= directives(signed_in)
    signed_out = client.post("/accounts/logout/")
    assert signed_out.status_code == 302 and {"private", "no-store"} <= directives(signed_out)


@pytest.mark.django_db
def test_a_visitor_half_way_through_a_registration_is_not_stored(tenants, tenant_client, settings):
    """A session without a signed-in user (a code being confirmed) names the person too."""
    alpha, _beta = tenants
    client = tenant_client(alpha)
    session = client.session
    session["anything"] = "mid-flow"
    session.save()
    assert {"private", "no-store"} <= directives(client.get("/accounts/signup/confirm/"))


@pytest.mark.django_db
@pytest.mark.parametrize("path, header", [
    ("/", None), ("/accounts/signup/", None), ("/support/", None),
    ("/accounts/login/", "max-age=0, no-cache, no-store, must-revalidate, private"),  # allauth's own never_cache
])
def test_anonymous_pages_stay_as_they_were_and_are_kept(tenants, tenant_client, path, header,
                                                        django_assert_num_queries):
    alpha, _beta = tenants
    first = tenant_client(alpha).get(path)
    assert (first.status_code, first.get("Cache-Control")) == (200, header)
    with django_assert_num_queries(0):  # the next visitor is served the kept page (portal.page_cache)
        second = tenant_client(alpha).get(path)
    assert (second.status_code, second.get("Cache-Control")) == (200, header)


@pytest.mark.django_db
def test_the_admin_is_not_stored(tenants, tenant_client, admin_login):
    alpha, _beta = tenants
    client = tenant_client(alpha)
    admin_login(client, UserFactory(tenant=alpha, is_staff=True))
    response = client.get("/admin/")
    assert response.status_code == 200 and {"private", "no-store"} <= directives(response)
