"""YooKassa (API v3) for one supplier's shop.

Written by hand rather than with the official ``yookassa`` SDK: the SDK keeps credentials
process-wide (``Configuration.configure(account_id, secret_key)``), which does not fit a shop
per supplier per tenant (two payments in one worker would share whichever shop was set
last), and it brings ``requests``. The portal needs four calls; they are here.

YooKassa's rules, as followed here: every POST carries an ``Idempotence-Key``; after a 5xx,
a 202 ("still processing"), a timeout or an unreadable answer the outcome is unknown, so
``ProviderUnavailable`` tells the caller to retry with the same key; any other 4xx is a
refusal (``ProviderError``). Notifications are not signed: they are taken only from
YooKassa's networks, and what they say is fetched again (``fetch``).
"""

import ipaddress
import re
from decimal import Decimal

import httpx
from django.conf import settings

from .base import (
    NotificationRefused, PaymentRequest, Provider, ProviderError, ProviderPayment, ProviderUnavailable,
    notification_json,
)

TIMEOUT = httpx.Timeout(15.0, connect=5.0)  # tests shorten it
ID_RE = re.compile(r"[0-9a-f-]{1,64}")
AMOUNT_RE = re.compile(r"\d{1,15}\.\d{2}")
DESCRIPTION_LIMIT = 128

# From the official SDK, yookassa/domain/common/security_helper.py (YOOKASSA_NETWORKS).
NETWORKS = [ipaddress.ip_network(network) for network in (
    "77.75.153.0/25", "77.75.156.11", "77.75.156.35", "77.75.154.128/25", "185.71.76.0/27", "185.71.77.0/27",
    "2a02:5180:0:1509::/64", "2a02:5180:0:2655::/64", "2a02:5180:0:1533::/64", "2a02:5180:0:2669::/64",
)]
EVENTS = {"payment.succeeded", "payment.waiting_for_capture", "payment.canceled", "refund.succeeded"}

# One-stage payments (capture: true) never wait for capture; if one does, it is not paid yet.
STATUSES = {"pending": "pending", "waiting_for_capture": "pending", "succeeded": "succeeded", "canceled": "canceled"}

# cancellation_details.reason, in the payer's words.
REASONS = {
    "3d_secure_failed": "Не пройдена проверка 3-D Secure",
    "call_issuer": "Банк отклонил платёж. Обратитесь в банк, выпустивший карту",
    "canceled_by_merchant": "Платёж отменён получателем",
    "card_expired": "Истёк срок действия карты",
    "country_forbidden": "Оплата картой, выпущенной в этой стране, недоступна",
    "deal_expired": "Время на оплату истекло",
    "expired_on_capture": "Время на оплату истекло",
    "expired_on_confirmation": "Время на оплату истекло",
    "fraud_suspected": "Платёж отклонён из соображений безопасности",
    "general_decline": "Банк отклонил платёж. Попробуйте другую карту или обратитесь в банк",
    "identification_required": "Превышен лимит платежей для кошелька без идентификации",
    "insufficient_funds": "Недостаточно средств на карте",
    "internal_timeout": "Платёжный сервис не успел обработать платёж. Попробуйте ещё раз",
    "invalid_card_number": "Неверный номер карты",
    "invalid_csc": "Неверный код CVV2 (CVC2)",
    "issuer_unavailable": "Банк, выпустивший карту, недоступен. Попробуйте позже",
    "payment_method_limit_exceeded": "Исчерпан лимит платежей для этого способа оплаты",
    "payment_method_restricted": "Операции этим способом оплаты запрещены. Обратитесь в банк",
    "permission_revoked": "Разрешение на списание отозвано",
    "unsupported_mobile_operator": "Оплата с телефона этого оператора недоступна",
}
DEFAULT_REASON = "Платёж не прошёл. Попробуйте ещё раз или выберите другой способ оплаты"


def from_yookassa(address):
    """Whether an address (a string) lies in YooKassa's networks."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    ip = getattr(ip, "ipv4_mapped", None) or ip  # ::ffff:185.71.76.5 from a dual-stack socket
    return any(ip in network for network in NETWORKS)


def _amount(kopecks):
    if type(kopecks) is not int or kopecks <= 0:
        raise ProviderError(f"An amount must be a positive whole number of kopecks, not {kopecks!r}.")
    return {"value": f"{kopecks // 100}.{kopecks % 100:02d}", "currency": "RUB"}


def _kopecks(amount):
    if amount["currency"] != "RUB" or not AMOUNT_RE.fullmatch(amount["value"]):
        raise ValueError(f"not an amount in roubles: {amount!r}")
    return int(Decimal(amount["value"]) * 100)


def _checked_id(payment_id):
    if not isinstance(payment_id, str) or not ID_RE.fullmatch(payment_id):
        raise ProviderError(f"Not a YooKassa payment id: {payment_id!r}.")
    return payment_id


def _payment(data):
    """A ProviderPayment from YooKassa's payment object."""
    try:
        status = STATUSES[data["status"]]
        reason = confirmation_url = ""
        if status == "canceled":
            reason = REASONS.get((data.get("cancellation_details") or {}).get("reason"), DEFAULT_REASON)
        if status == "pending":
            confirmation_url = (data.get("confirmation") or {}).get("confirmation_url", "")
        return ProviderPayment(
            id=_checked_id(data["id"]),
            status=status,
            amount_kopecks=_kopecks(data["amount"]),
            confirmation_url=confirmation_url,
            reason=reason,
            refunded_kopecks=_kopecks(data["refunded_amount"]) if data.get("refunded_amount") else 0,
        )
    except (KeyError, TypeError, ValueError, AttributeError, ProviderError) as error:
        raise ProviderUnavailable(f"YooKassa's answer is not a payment: {error}") from error


class YooKassaProvider(Provider):
    kind = "yookassa"

    def _call(self, method, path, body=None, idempotency_key=None):
        """YooKassa's JSON answer to one request; no retries here (the caller retries)."""
        headers = {"Idempotence-Key": idempotency_key} if idempotency_key else {}
        try:
            with httpx.Client(timeout=TIMEOUT) as client:
                response = client.request(method, settings.YOOKASSA_API_URL.rstrip("/") + path, json=body,
                                          headers=headers, auth=(self.account.shop_id, self.account.secret))
        except httpx.HTTPError as error:  # timeouts, refused connections, broken answers
            raise ProviderUnavailable(f"YooKassa did not answer {method} {path}: {error!r}") from error
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.status_code == 200 and isinstance(answer, dict):
            return answer
        description = answer.get("description", "") if isinstance(answer, dict) else ""
        if 400 <= response.status_code < 500 and response.status_code != 429:
            raise ProviderError(f"YooKassa refused {method} {path} ({response.status_code}): {description}")
        # 202 (still processing), 429 (too many requests), 5xx, or a 200 we cannot read.
        raise ProviderUnavailable(f"YooKassa gave no result for {method} {path} ({response.status_code}): "
                                  f"{description}")

    def create(self, request: PaymentRequest) -> ProviderPayment:
        """A one-stage payment (captured when paid); the payer confirms it on YooKassa's page.
        ``notification_url`` is not sent: YooKassa takes it from the shop's settings."""
        description = request.description
        if len(description) > DESCRIPTION_LIMIT:
            description = description[:DESCRIPTION_LIMIT - 1] + "…"
        body = {
            "amount": _amount(request.amount_kopecks),
            "capture": True,
            "confirmation": {"type": "redirect", "return_url": request.return_url},
            "description": description,
            "metadata": {str(key): str(value) for key, value in request.metadata.items()},
        }
        return _payment(self._call("POST", "/payments", body, request.idempotency_key))

    def fetch(self, provider_payment_id: str) -> ProviderPayment:
        payment_id = _checked_id(provider_payment_id)  # before it can become part of a path
        return _payment(self._call("GET", f"/payments/{payment_id}"))

    def refund(self, provider_payment_id: str, amount_kopecks: int, idempotency_key: str) -> ProviderPayment:
        """Refund part or all of a succeeded payment. A refund YooKassa cancels is a refusal;
        one still pending shows in ``refunded_kopecks`` once it succeeds."""
        body = {"payment_id": _checked_id(provider_payment_id), "amount": _amount(amount_kopecks)}
        refund = self._call("POST", "/refunds", body, idempotency_key)
        if refund.get("status") == "canceled":
            reason = (refund.get("cancellation_details") or {}).get("reason", "")
            raise ProviderError(f"YooKassa canceled the refund: {reason}")
        return self.fetch(provider_payment_id)

    def authenticate_notification(self, notification) -> str:
        """The payment id of a notification that came from YooKassa's networks (the client
        address as ``portal.ratelimits.client_ip`` reads it, so only trusted proxies count).

        YooKassa does not sign notifications, so nothing in the body is trusted, its status
        least of all: the caller must ``fetch`` the payment, with this account's credentials
        (a payment of another shop is then not found)."""
        address = notification.client_ip
        if not from_yookassa(address):
            raise NotificationRefused(f"Notification from {address}, outside YooKassa's networks.")
        try:
            body = notification_json(notification.body)
            event, obj = body["event"], body["object"]
            if body.get("type") != "notification" or not isinstance(event, str) or event not in EVENTS:
                raise NotificationRefused(f"Not a YooKassa notification we take: {event!r}.")
            payment_id = obj["payment_id"] if event.startswith("refund.") else obj["id"]
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise NotificationRefused("The notification's body is not YooKassa's JSON.") from error
        if not isinstance(payment_id, str) or not ID_RE.fullmatch(payment_id):
            raise NotificationRefused(f"Not a YooKassa payment id: {payment_id!r}.")
        return payment_id

    def notification_answer(self):
        return ""  # YooKassa wants HTTP 200; the body is not read
