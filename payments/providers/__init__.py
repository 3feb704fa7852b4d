"""Payment providers: one class per kind of ``ProviderAccount``."""

from .base import (
    NotificationRefused,
    PaymentRequest,
    Provider,
    ProviderError,
    ProviderNotification,
    ProviderPayment,
    ProviderUnavailable,
    notification_json,
)

__all__ = ["NotificationRefused", "PaymentRequest", "Provider", "ProviderError", "ProviderNotification", "ProviderPayment",
           "ProviderUnavailable", "notification_json", "provider_for"]


def provider_for(account):
    """The provider object for a ProviderAccount."""
    from .sandbox.provider import SandboxProvider
    from .yookassa import YooKassaProvider

    classes = {"sandbox": SandboxProvider, "yookassa": YooKassaProvider}
    return classes[account.kind](account)
