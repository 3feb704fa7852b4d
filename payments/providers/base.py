"""What the portal asks of a payment provider, and what it gets back.

Amounts cross this boundary in integer kopecks, as both YooKassa's and T-Bank's APIs take
them; a provider's own statuses are translated to ``Payment.Status`` values here, so the
rest of the portal knows one vocabulary.
"""

import abc
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from portal.ratelimits import client_ip


@dataclass(frozen=True)
class PaymentRequest:
    idempotency_key: str  # the same key again returns the same payment, never a second one
    amount_kopecks: int
    description: str
    return_url: str  # where the payer comes back; it proves nothing about the outcome
    notification_url: str
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ProviderPayment:
    """A payment as the provider reports it: the source of truth."""

    id: str
    status: str  # a Payment.Status value: pending, succeeded, canceled (declined or expired)
    amount_kopecks: int
    confirmation_url: str = ""  # where to send the payer while pending
    reason: str = ""  # why it was canceled, in the payer's words
    refunded_kopecks: int = 0


@dataclass(frozen=True)
class ProviderNotification:
    """What a provider's notification brought, read at the edge (the view): its body, its
    headers and the client address as ``portal.ratelimits.client_ip`` reads it."""

    body: bytes
    headers: Mapping[str, str]  # looked up case-insensitively (Django's HttpHeaders)
    client_ip: str

    @classmethod
    def from_request(cls, request):
        return cls(body=request.body, headers=request.headers, client_ip=client_ip(request))


class ProviderError(Exception):
    """The provider refused the request (4xx): retrying it as it is would be refused again."""


class ProviderUnavailable(ProviderError):
    """No answer, a timeout or a 5xx: the result is unknown. Retry with the same idempotency
    key (the provider then returns what it did, or does it now), or fetch the status later."""


class NotificationRefused(Exception):
    """A notification that does not come from the provider (bad signature, unknown network)
    or cannot be read. Answered 403/400; it changes nothing."""


def notification_json(body):
    """A notification's body as JSON; NotificationRefused for anything unreadable (a deeply
    nested body raises RecursionError in json.loads, which is no ValueError)."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as error:
        raise NotificationRefused("The notification's body is not readable JSON.") from error


class Provider(abc.ABC):
    """One provider account (``ProviderAccount``) of a supplier."""

    kind = ""

    def __init__(self, account):
        self.account = account

    @abc.abstractmethod
    def create(self, request: PaymentRequest) -> ProviderPayment:
        """Create the payment; ``confirmation_url`` is where to send the payer."""

    @abc.abstractmethod
    def fetch(self, provider_payment_id: str) -> ProviderPayment:
        """The payment's status now, from the provider (never from a notification's body)."""

    @abc.abstractmethod
    def refund(self, provider_payment_id: str, amount_kopecks: int, idempotency_key: str) -> ProviderPayment:
        """Refund ``amount_kopecks`` of a succeeded payment; the payment as it is after it."""

    @abc.abstractmethod
    def authenticate_notification(self, notification: ProviderNotification) -> str:
        """The provider payment id a notification is about, once it is shown to come from the
        provider (NotificationRefused otherwise). What it says happened is not trusted."""

    def notification_answer(self):
        """The body that tells the provider the notification was taken (HTTP 200)."""
        return ""
