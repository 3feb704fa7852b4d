"""Attacks on payments from a security review run as deployed: each test says what must hold,
so that what held stays held and what was mended stays mended."""

import base64
import csv
import json
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.tests.test_consumer_pages import link, make_account, text_of
from payments import exports, sandbox, services
from payments.factories import notify, pay_through, payment_of, start, to_sandbox
from payments.models import Payment, PaymentEvent, SandboxPayment
from portal.scoping import scopes_disabled, tenant_scope

from .conftest import make_shop

YOOKASSA_IP = "185.71.76.5"


# --- Amounts -----------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(("typed", "charged"), [
    ("１５００", Decimal("1500.00")),  # full-width digits: read as the number they show
    ("١٥٠٠", Decimal("1500.00")),
    ("1E+5", Decimal("100000.00")),
    ("1.", Decimal("1.00")),
])
def test_odd_spellings_of_an_amount_charge_exactly_the_number_shown(payer, typed, charged):
    _user, client, account, _shop = payer
    response, token = start(client, account, kind="amount", amount=typed)
    assert response.status_code == 302
    assert payment_of(token).amount == charged
    assert f"{charged:,.2f}".replace(",", " ").replace(".", ",") in text_of(client.get(response["Location"]))


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["1e-2", "0.001", "0,999", ".5", "5E+5.01", "500000.01", "1e999999999",
                                   "-0", "sNaN", "²", "1..0", "0x10"])
def test_amounts_out_of_range_or_inexact_are_refused(payer, typed):
    _user, client, account, _shop = payer
    response, _token = start(client, account, kind="amount", amount=typed)
    assert response.status_code == 200
    with scopes_disabled():
        assert not Payment.objects.exists()


@pytest.mark.django_db
def test_a_posted_amount_never_becomes_the_debts_amount(payer):
    _user, client, account, _shop = payer
    for amount in ("1.00", "-5", "0"):
        response, _token = start(client, account, kind="debt", amount=amount)
        assert response.status_code == 200
    _response, token = start(client, account, kind="debt")
    assert payment_of(token).amount == Decimal("1500.00")


# --- Whose payment -----------------------------------------------------------------------

@pytest.mark.django_db
def test_a_payment_form_token_of_another_user_finds_nothing(payer, gas, tenant_client):
    from accounts.factories import UserFactory

    _user, client, account, _shop = payer
    alpha, _beta, _supplier = gas
    _response, token = start(client, account)
    stranger = tenant_client(alpha)
    stranger_user = UserFactory(tenant=alpha)
    stranger.force_login(stranger_user)
    own = make_account(account.supplier, "23185953")
    link(stranger_user, own)
    response = stranger.post(f"/personal/{own.pk}/pay/", {"kind": "debt", "token": token})
    assert response.status_code == 200 and "устарела" in text_of(response)
    assert payment_of(token).user_id != stranger_user.pk


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["removed", "basic"])
def test_a_payer_whose_link_was_taken_away_no_longer_reaches_the_payment(payer, change):
    from billing.models import AccountLink

    user, client, account, _shop = payer
    _response, token = start(client, account)
    with scopes_disabled():
        # As the admin and the services do it: through the rows (the links' cache is
        # replaced by their signals).
        row = AccountLink.objects.get(user=user, account=account)
        if change == "removed":
            row.delete()
        else:
            row.access, row.proof = "basic", ""
            row.save()
    assert client.get(f"/payments/{token}/confirm/").status_code in (302, 404)
    assert client.post(f"/payments/{token}/confirm/").status_code in (302, 404)
    with scopes_disabled():
        assert not SandboxPayment.objects.exists()
        assert payment_of(token).status == "created"


@pytest.mark.django_db
def test_other_peoples_reading_ids_are_not_attached_to_a_payment(payer, gas, tenant_client):
    from accounts.factories import UserFactory
    from meters.models import Reading

    user, client, account, _shop = payer
    alpha, _beta, _supplier = gas
    other = UserFactory(tenant=alpha)
    link(other, account)
    with scopes_disabled():
        meter = account.meters.get()
        theirs = Reading.objects.create(tenant=alpha, meter=meter, value=Decimal("5"), taken_on=timezone.localdate(),
                                        source="portal", submitted_by=other, submitted_at=timezone.now(),
                                        status="submitted")
    token = uuid.uuid4()
    client.post(f"/personal/{account.pk}/pay/", {"kind": "debt", "token": token, "readings": f"{theirs.pk},１,²"})
    payment = payment_of(token)
    with scopes_disabled():
        assert payment.kind == "debt" and not payment.readings.exists()


# --- Provider URLs from the Host header ---------------------------------------------------

@pytest.mark.django_db
def test_the_provider_is_given_the_tenants_own_address_not_the_requests_host(payer):
    _user, client, account, _shop = payer
    _response, token = start(client, account)
    response = client.post(f"/payments/{token}/confirm/", HTTP_HOST="alpha.localhost:6379")
    assert response.status_code == 302
    with scopes_disabled():
        row = SandboxPayment.objects.get()
    for url in (row.notification_url, row.return_url, response["Location"]):
        assert ":6379" not in url, url


# --- Notifications -----------------------------------------------------------------------

@pytest.mark.django_db
def test_a_signed_notification_with_duplicate_keys_or_a_stale_event_marks_nothing_paid(payer, monkeypatch):
    _user, client, account, shop = payer
    monkeypatch.setattr(sandbox, "_schedule_notifications", lambda payment, event: None)
    payment = pay_through(client, account, outcome="abandon")
    pid = payment.provider_payment_id
    body = ('{"type":"notification","event":"payment.succeeded","object":{"id":"%s","status":"succeeded"},'
            '"object":{"id":"%s","status":"succeeded","amount_kopecks":150000}}' % (uuid.uuid4(), pid)).encode()
    assert notify(client, shop, body).status_code == 200
    stale = json.dumps({"type": "notification", "event": "payment.waiting_for_capture", "object": {"id": pid}}).encode()
    assert notify(client, shop, stale).status_code == 200
    empty = client.post(f"/payments/notify/{shop.pk}/", data=body, content_type="application/json",
                        HTTP_X_SANDBOX_SIGNATURE="")
    assert empty.status_code == 403
    assert notify(client, shop, body, signature=sandbox.sign(shop.secret, body).upper()).status_code == 403
    assert payment_of(payment.public_id).status == "pending"
    assert "Проверяем оплату" in text_of(client.get(f"/payments/{payment.public_id}/"))
    assert payment_of(payment.public_id).status == "pending"


@pytest.mark.django_db
def test_a_deeply_nested_signed_notification_is_refused_not_a_500(payer):
    _user, client, _account, shop = payer
    body = b'{"object":' * 100000 + b"1" + b"}" * 100000
    assert notify(client, shop, body).status_code == 403


@pytest.mark.django_db
def test_a_deeply_nested_yookassa_notification_is_refused_not_a_500(gas, tenant_client):
    from billing.factories import SupplierFactory

    alpha, _beta, _supplier = gas
    shop = make_shop(SupplierFactory(tenant=alpha, code="yoo"), kind="yookassa", secret="test_secret")
    client = tenant_client(alpha, REMOTE_ADDR=YOOKASSA_IP)
    body = b"[" * 100000 + b"]" * 100000
    assert client.post(f"/payments/notify/{shop.pk}/", data=body, content_type="application/json").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("forwarded", ["185.71.76.5, 203.0.113.7", "185.71.76.5,garbage", "185.71.76.5,,"])
def test_a_forwarded_for_claim_behind_the_trusted_proxy_does_not_pass_the_yookassa_allow_list(
        gas, tenant_client, settings, forwarded):
    from billing.factories import SupplierFactory

    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    alpha, _beta, _supplier = gas
    shop = make_shop(SupplierFactory(tenant=alpha, code="yoo"), kind="yookassa", secret="test_secret")
    client = tenant_client(alpha, REMOTE_ADDR="10.0.0.2")  # the proxy
    body = json.dumps({"type": "notification", "event": "payment.succeeded", "object": {"id": "2d5c8f3a-000f"}})
    response = client.post(f"/payments/notify/{shop.pk}/", data=body, content_type="application/json",
                           HTTP_X_FORWARDED_FOR=forwarded)
    assert response.status_code == 403


# --- The sandbox -------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_non_ascii_3ds_code_declines_instead_of_a_500(payer):
    _user, client, account, _shop = payer
    response, token = start(client, account)
    page = to_sandbox(client, payment_of(token))
    assert client.post(page, {"outcome": "3ds-code", "code": "١٢٣٤٥"}).status_code == 302
    assert payment_of(token).status == "canceled"


@pytest.mark.django_db
def test_a_non_ascii_secret_at_the_sandbox_api_is_a_401(payer):
    _user, client, account, shop = payer
    payment = pay_through(client, account)
    credentials = base64.b64encode(f"{shop.shop_id}:пароль".encode()).decode()
    response = client.get(f"/sandbox-pay/api/payments/{payment.provider_payment_id}/",
                          HTTP_AUTHORIZATION=f"Basic {credentials}")
    assert response.status_code == 401


@pytest.mark.django_db
def test_with_the_sandbox_off_its_pages_and_api_are_404(payer, settings):
    _user, client, account, shop = payer
    payment = pay_through(client, account, outcome="abandon")
    settings.PAYMENT_SANDBOX_ENABLED = False
    credentials = base64.b64encode(f"{shop.shop_id}:{shop.secret}".encode()).decode()
    assert client.get(f"/sandbox-pay/{payment.provider_payment_id}/").status_code == 404
    assert client.post(f"/sandbox-pay/{payment.provider_payment_id}/", {"outcome": "success"}).status_code == 404
    assert client.get(f"/sandbox-pay/api/payments/{payment.provider_payment_id}/",
                      HTTP_AUTHORIZATION=f"Basic {credentials}").status_code == 404
    assert payment_of(payment.public_id).status == "pending"


@pytest.mark.django_db
def test_with_the_sandbox_off_a_sandbox_shop_takes_no_payment(payer, settings):
    _user, client, account, _shop = payer
    settings.PAYMENT_SANDBOX_ENABLED = False
    assert "пока недоступна" in text_of(client.get(f"/personal/{account.pk}/pay/"))
    response, _token = start(client, account)
    assert "пока недоступна" in text_of(response)
    with scopes_disabled():
        assert not Payment.objects.exists()


@pytest.mark.django_db
def test_with_the_sandbox_off_its_notifications_are_not_taken(payer, settings, monkeypatch):
    from payments import tasks

    _user, client, account, shop = payer
    payment = pay_through(client, account, outcome="abandon")
    settings.PAYMENT_SANDBOX_ENABLED = False
    monkeypatch.setattr(tasks.apply_payment_event, "delay", lambda **kwargs: None)  # its fetch would fail
    with scopes_disabled():
        row = SandboxPayment.objects.get(pk=payment.provider_payment_id)
        PaymentEvent.objects.all().delete()
    assert notify(client, shop, sandbox.notification_body(row, "payment.succeeded")).status_code != 200
    with scopes_disabled():
        assert not PaymentEvent.objects.exists()


# --- Money after the fact ----------------------------------------------------------------

@pytest.mark.django_db
def test_a_payment_refunded_before_the_export_is_not_reported_as_paid_in_full(payer, tmp_path):
    _user, client, account, _shop = payer
    payment = pay_through(client, account, kind="amount", amount="100")
    with scopes_disabled():
        services.payment_refund(Payment.objects.select_related("provider_account").get(pk=payment.pk))
        assert Payment.objects.get(pk=payment.pk).status == "refunded"
    with tenant_scope(account.tenant):
        result = exports.export_payments(account.tenant, tmp_path)
    rows = []
    if result.path:
        with open(result.path, newline="", encoding="utf-8") as file:
            rows = [row for row in csv.DictReader(file, delimiter=";")
                    if row["provider_payment_id"] == payment.provider_payment_id]
    # Left out, or reported with its refund (a refund column, or a row of its own taking it back).
    assert sum(Decimal(row["amount"]) - Decimal(row.get("refunded_amount") or "0") for row in rows) == 0
