"""The sandbox as a provider: the portal's side of payments/providers/sandbox/remote.py, called like a remote
API (its refusals and failures become ProviderError and ProviderUnavailable), its
notifications authenticated by their HMAC signature."""

import hmac
import re

from django.conf import settings
from django.urls import reverse

from ..base import (
    NotificationRefused, Provider, ProviderError, ProviderPayment, ProviderUnavailable, notification_json,
)
from . import remote as sandbox

ID = re.compile(r"^[0-9a-f-]{36}$")


class SandboxProvider(Provider):
    kind = "sandbox"

    def _call(self, function, **arguments):
        if not settings.PAYMENT_SANDBOX_ENABLED:
            raise ProviderError("The sandbox provider is off on this server (PAYMENT_SANDBOX_ENABLED).")
        try:
            return function(shop_id=self.account.shop_id, **arguments)
        except sandbox.SandboxDown as error:
            raise ProviderUnavailable(str(error)) from error
        except sandbox.SandboxError as error:
            raise ProviderError(str(error)) from error

    def _payment(self, row, origin=""):
        return ProviderPayment(
            id=str(row.pk), status=row.status, amount_kopecks=row.amount_kopecks,
            confirmation_url=origin + reverse("payments:sandbox_page", kwargs={"payment_id": row.pk}),
            reason=REASONS.get(row.cancellation_reason, row.cancellation_reason), refunded_kopecks=row.refunded_kopecks,
        )

    def create(self, request):
        row = self._call(sandbox.create, idempotency_key=request.idempotency_key,
                         amount_kopecks=request.amount_kopecks, description=request.description,
                         return_url=request.return_url, notification_url=request.notification_url)
        # The sandbox's page is served by this portal, on the host the payer is on.
        origin = request.return_url.split("/", 3)
        return self._payment(row, origin="/".join(origin[:3]))

    def fetch(self, provider_payment_id):
        if not ID.match(provider_payment_id or ""):
            raise ProviderError("not a sandbox payment id")
        return self._payment(self._call(sandbox.fetch, payment_id=provider_payment_id))

    def refund(self, provider_payment_id, amount_kopecks, idempotency_key):
        self._call(sandbox.refund, payment_id=provider_payment_id, amount_kopecks=amount_kopecks)
        return self.fetch(provider_payment_id)

    def authenticate_notification(self, notification):
        signature = notification.headers.get(sandbox.SIGNATURE_HEADER, "")
        expected = sandbox.sign(self.account.secret, notification.body)
        if not hmac.compare_digest(signature.encode(), expected.encode()):
            raise NotificationRefused("bad or missing signature")
        try:
            payment_id = notification_json(notification.body)["object"]["id"]
        except (KeyError, TypeError) as error:
            raise NotificationRefused("unreadable notification") from error
        if not isinstance(payment_id, str) or not ID.match(payment_id):
            raise NotificationRefused("not a sandbox payment id")
        return payment_id


# What the payer reads when a payment is canceled (YooKassa's reasons, which the sandbox uses).
REASONS = {
    "insufficient_funds": "Недостаточно средств на карте",
    "3d_secure_failed": "Не пройдена проверка 3-D Secure",
    "expired_on_confirmation": "Время на оплату истекло",
    "canceled_by_merchant": "Платёж отменён",
}
