"""The YooKassa adapter against a local fake of YooKassa's API (payments/tests/yookassa_fake.py):
real HTTP, so idempotency, errors and timeouts are exercised as they happen."""

import base64
import json

import httpx
import pytest
from cryptography.fernet import Fernet
from django.test import RequestFactory

from payments.factories import make_shop
from payments.models import ProviderAccount
from payments.providers import (
    NotificationRefused,
    PaymentRequest,
    ProviderError,
    ProviderNotification,
    ProviderUnavailable,
    provider_for,
    yookassa,
)
from payments.providers.yookassa import YooKassaProvider

from .yookassa_fake import FakeYooKassa

SHOP, SECRET = "506751", "test_Fh8hUAVVBGUGbjmlzba6TB0iyUbos_lueTHE-axOwM0"
YOOKASSA_IP = "185.71.76.5"


@pytest.fixture
def fake(settings):
    settings.PAYMENT_SECRETS_KEYS = [Fernet.generate_key().decode()]
    with FakeYooKassa({SHOP: SECRET, "other-shop": "other-secret"}) as fake:
        settings.YOOKASSA_API_URL = fake.url
        yield fake


def provider(shop=SHOP, secret=SECRET):
    account = ProviderAccount(shop_id=shop, kind="yookassa")
    account.set_secret(secret)
    return YooKassaProvider(account)


def payment_request(key="key-1", kopecks=150050, description="Оплата по счёту 42", **fields):
    return PaymentRequest(idempotency_key=key, amount_kopecks=kopecks, description=description,
                          return_url="https://portal.example/payments/1/return/",
                          notification_url="https://portal.example/payments/notify/", **fields)


def test_provider_for_gives_the_adapter(fake):
    assert isinstance(provider_for(provider().account), YooKassaProvider)


def test_create_sends_key_credentials_and_exact_amount(fake):
    payment = provider().create(payment_request(metadata={"payment": 7, "tenant": "vodokanal"}))

    assert payment.status == "pending"
    assert payment.amount_kopecks == 150050
    assert payment.confirmation_url == f"{fake.base}/checkout/{payment.id}"
    (sent,) = fake.requests
    assert (sent["method"], sent["path"]) == ("POST", "/v3/payments")
    assert sent["headers"]["Idempotence-Key"] == "key-1"
    assert sent["headers"]["Authorization"] == "Basic " + base64.b64encode(f"{SHOP}:{SECRET}".encode()).decode()
    assert sent["json"] == {
        "amount": {"value": "1500.50", "currency": "RUB"},
        "capture": True,
        "confirmation": {"type": "redirect", "return_url": "https://portal.example/payments/1/return/"},
        "description": "Оплата по счёту 42",
        "metadata": {"payment": "7", "tenant": "vodokanal"},
    }


@pytest.mark.parametrize(("kopecks", "value"), [(1, "0.01"), (100, "1.00"), (123456789012, "1234567890.12")])
def test_amounts_are_exact(fake, kopecks, value):
    payment = provider().create(payment_request(kopecks=kopecks))
    assert fake.requests[-1]["json"]["amount"]["value"] == value
    assert payment.amount_kopecks == kopecks


@pytest.mark.parametrize("kopecks", [0, -100, 15.5, "1500"])
def test_a_wrong_amount_is_refused_before_a_request(fake, kopecks):
    with pytest.raises(ProviderError):
        provider().create(payment_request(kopecks=kopecks))
    assert fake.requests == []


def test_a_long_description_is_cut_to_yookassa_limit(fake):
    provider().create(payment_request(description="ж" * 300))
    assert len(fake.requests[-1]["json"]["description"]) == 128


def test_the_same_key_twice_gives_one_payment(fake):
    first = provider().create(payment_request("key-1"))
    again = provider().create(payment_request("key-1"))
    assert again.id == first.id
    assert len(fake.payments) == 1
    assert provider().create(payment_request("key-2")).id != first.id


def test_the_same_key_with_another_amount_is_refused(fake):
    provider().create(payment_request("key-1", kopecks=100))
    with pytest.raises(ProviderError, match="Idempotence key duplicated") as refused:
        provider().create(payment_request("key-1", kopecks=200))
    assert not isinstance(refused.value, ProviderUnavailable)


def test_fetch_maps_statuses(fake):
    yk = provider()
    paid, declined, expired, odd = (yk.create(payment_request(f"key-{n}")).id for n in range(4))
    fake.succeed(paid)
    fake.cancel(declined, reason="insufficient_funds")
    fake.cancel(expired, reason="expired_on_confirmation", party="yoo_money")
    fake.cancel(odd, reason="something_new")

    assert yk.fetch(paid).status == "succeeded"
    assert yk.fetch(paid).confirmation_url == ""
    assert (yk.fetch(declined).status, yk.fetch(declined).reason) == ("canceled", "Недостаточно средств на карте")
    assert yk.fetch(expired).reason == "Время на оплату истекло"
    assert yk.fetch(odd).reason == yookassa.DEFAULT_REASON
    assert fake.requests[-1]["path"] == f"/v3/payments/{odd}"


def test_waiting_for_capture_is_still_pending(fake):
    payment_id = provider().create(payment_request()).id
    fake.payments[payment_id]["status"] = "waiting_for_capture"
    assert provider().fetch(payment_id).status == "pending"


def test_a_500_leaves_the_result_unknown_and_the_same_key_finds_the_payment(fake):
    fake.fail_next(500)  # the fake creates the payment, then answers 500
    with pytest.raises(ProviderUnavailable):
        provider().create(payment_request("key-1"))
    assert len(fake.payments) == 1

    payment = provider().create(payment_request("key-1"))
    assert [payment.id] == list(fake.payments)
    assert [sent["headers"]["Idempotence-Key"] for sent in fake.requests] == ["key-1", "key-1"]


@pytest.mark.parametrize(("status", "body"), [(202, None), (429, None), (503, None), (200, b"<html>busy</html>"),
                                            (200, b"[]"), (200, b'{"id": "../x", "status": "pending"}')])
def test_no_readable_result_is_unavailable(fake, status, body):
    fake.fail_next(status, processed=False, body=body)
    with pytest.raises(ProviderUnavailable):
        provider().create(payment_request())
    assert fake.payments == {}


def test_a_timeout_is_unavailable(fake, monkeypatch):
    monkeypatch.setattr(yookassa, "TIMEOUT", httpx.Timeout(0.2, connect=1.0))
    fake.delay_next(2)
    with pytest.raises(ProviderUnavailable, match="did not answer"):
        provider().create(payment_request())


def test_no_server_is_unavailable(fake, settings):
    with FakeYooKassa() as gone:
        settings.YOOKASSA_API_URL = gone.url  # a port nobody listens on once it stops
    with pytest.raises(ProviderUnavailable):
        provider().fetch("2b8e7f9a-000f-5000-9000-1c5c7a6b2d3e")


def test_a_refusal_is_a_provider_error(fake):
    with pytest.raises(ProviderError, match="404") as refused:
        provider().fetch("2b8e7f9a-000f-5000-9000-1c5c7a6b2d3e")
    assert not isinstance(refused.value, ProviderUnavailable)


def test_wrong_credentials_are_a_provider_error(fake):
    with pytest.raises(ProviderError, match="401.*Authentication") as refused:
        provider(secret="wrong").create(payment_request())
    assert not isinstance(refused.value, ProviderUnavailable)
    assert fake.payments == {}


def test_another_shop_cannot_fetch_the_payment(fake):
    payment_id = provider().create(payment_request()).id
    with pytest.raises(ProviderError, match="404"):
        provider("other-shop", "other-secret").fetch(payment_id)


@pytest.mark.parametrize("hostile", ["../refunds", "abc/../../x", "ABC", "", "a" * 65, "1?x=1", None])
def test_a_hostile_id_is_refused_without_a_request(fake, hostile):
    with pytest.raises(ProviderError):
        provider().fetch(hostile)
    with pytest.raises(ProviderError):
        provider().refund(hostile, 100, "refund-1")
    assert fake.requests == []


def test_refund(fake):
    yk = provider()
    payment_id = yk.create(payment_request(kopecks=150050)).id
    fake.succeed(payment_id)

    after = yk.refund(payment_id, 50000, "refund-1")
    assert (after.status, after.refunded_kopecks) == ("succeeded", 50000)
    refund_sent = fake.requests[-2]
    assert (refund_sent["path"], refund_sent["headers"]["Idempotence-Key"]) == ("/v3/refunds", "refund-1")
    assert refund_sent["json"] == {"payment_id": payment_id, "amount": {"value": "500.00", "currency": "RUB"}}

    assert yk.refund(payment_id, 50000, "refund-1").refunded_kopecks == 50000  # the same key: once
    with pytest.raises(ProviderError, match="exceeds"):
        yk.refund(payment_id, 100051, "refund-2")
    assert yk.refund(payment_id, 100050, "refund-3").refunded_kopecks == 150050


def test_a_pending_payment_cannot_be_refunded(fake):
    payment_id = provider().create(payment_request()).id
    with pytest.raises(ProviderError, match="succeeded"):
        provider().refund(payment_id, 100, "refund-1")


# Notifications ---------------------------------------------------------------------------


def notification(event="payment.succeeded", obj=None, address=YOOKASSA_IP, body=None, **meta):
    obj = {"id": "2b8e7f9a-000f-5000-9000-1c5c7a6b2d3e", "status": "succeeded"} if obj is None else obj
    body = json.dumps({"type": "notification", "event": event, "object": obj}) if body is None else body
    request = RequestFactory().post("/payments/notify/yookassa/", data=body, content_type="application/json",
                                    REMOTE_ADDR=address, **meta)
    return ProviderNotification.from_request(request)


def test_a_notification_from_yookassa_gives_the_payment_id(fake):
    assert provider().authenticate_notification(notification()) == "2b8e7f9a-000f-5000-9000-1c5c7a6b2d3e"
    assert fake.requests == []  # the caller fetches the status; the body's is not trusted
    assert provider().notification_answer() == ""


def test_a_refund_notification_names_the_payment(fake):
    refund = {"id": "2b8e8a1c-0015-5000-a000-1c3b2a1f7e3d", "payment_id": "2b8e7f9a-000f-5000-9000-1c5c7a6b2d3e",
              "status": "succeeded"}
    assert provider().authenticate_notification(notification("refund.succeeded", refund)) == refund["payment_id"]


@pytest.mark.parametrize("address", ["77.75.156.11", "77.75.153.127", "77.75.154.200", "185.71.77.31",
                                     "2a02:5180:0:1509::1", "2a02:5180:0:2669:ffff::1",
                                     "::ffff:185.71.76.5"])
def test_yookassa_networks_are_accepted(fake, address):
    assert provider().authenticate_notification(notification(address=address))


@pytest.mark.parametrize("address", ["8.8.8.8", "77.75.156.12", "185.71.76.32", "2a02:5180:0:1510::1", "::1"])
def test_other_networks_are_refused(fake, address):
    with pytest.raises(NotificationRefused, match="outside YooKassa's networks"):
        provider().authenticate_notification(notification(address=address))


def test_a_forwarded_for_claim_without_a_trusted_proxy_is_refused(fake, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    with pytest.raises(NotificationRefused):
        provider().authenticate_notification(notification(address="8.8.8.8", HTTP_X_FORWARDED_FOR=YOOKASSA_IP))


def test_behind_one_trusted_proxy_the_forwarded_address_counts(fake, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    request = notification(address="10.0.0.2", HTTP_X_FORWARDED_FOR=f"8.8.8.8, {YOOKASSA_IP}")
    assert provider().authenticate_notification(request)
    spoofed = notification(address="10.0.0.2", HTTP_X_FORWARDED_FOR=f"{YOOKASSA_IP}, 8.8.8.8")
    with pytest.raises(NotificationRefused):
        provider().authenticate_notification(spoofed)


@pytest.mark.parametrize("body", ["{not json", "[]", '"notification"', json.dumps({"type": "notification"}),
                                  json.dumps({"type": "notification", "event": "payment.succeeded", "object": []}),
                                  b"\xff\xfe"])
def test_an_unreadable_body_is_refused(fake, body):
    with pytest.raises(NotificationRefused):
        provider().authenticate_notification(notification(body=body))


@pytest.mark.parametrize("event", ["payment.refunded", "deal.closed", "", None, ["payment.succeeded"]])
def test_an_unknown_event_is_refused(fake, event):
    with pytest.raises(NotificationRefused):
        provider().authenticate_notification(notification(event))


@pytest.mark.parametrize("payment_id", ["../../admin", "2b8e7f9a/../x", "", 42, None, "A" * 10])
def test_a_notification_id_with_path_characters_is_refused(fake, payment_id):
    with pytest.raises(NotificationRefused):
        provider().authenticate_notification(notification(obj={"id": payment_id}))


# --- Attacks: notifications that are not YooKassa's ----------------------------------------------


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
