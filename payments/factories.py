"""Payments' rows for tests: a provider account (a shop) of a supplier, a payment made through
the consumer's pages and the sandbox, a provider's notification; and rows of every payments
model for an account, for tests that walk every table (the admin)."""

import re
import uuid

from portal.scoping import scopes_disabled
from portal.testing import text_of

from .models import Payment, ProviderAccount
from .providers.sandbox import remote as sandbox


def make_shop(supplier, *, shop_id=None, secret="sandbox-secret-1", kind="sandbox"):
    with scopes_disabled():
        shop = ProviderAccount(tenant=supplier.tenant, supplier=supplier, kind=kind,
                               shop_id=shop_id or f"shop-{supplier.tenant.slug}-{supplier.code}")
        shop.set_secret(secret)
        shop.save()
    return shop


def start(client, account, *, kind="debt", amount="", token=None, again=False):
    token = token or uuid.uuid4()
    data = {"kind": kind, "amount": amount, "token": token} | ({"again": "1"} if again else {})
    response = client.post(f"/personal/{account.pk}/pay/", data)
    return response, token


def paid_here(account, *, user, amount, status="succeeded", days_ago=0):
    """A portal payment of ``account`` by ``user`` in ``status`` (succeeded: paid ``days_ago``
    days ago and not yet reported by billing), as the provider would have left it."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    with scopes_disabled():
        shop = ProviderAccount.objects.filter(supplier_id=account.supplier_id).first() or make_shop(account.supplier)
        when = timezone.now() - timedelta(days=days_ago)
        return Payment._base_manager.create(
            tenant=account.tenant, account=account, user=user, amount=Decimal(amount), status=status,
            kind=Payment.Kind.DEBT, provider_account=shop, provider=shop.kind, provider_payment_id=str(uuid.uuid4()),
            pending_at=when, succeeded_at=when if status == "succeeded" else None,
        )


def payment_of(token):
    with scopes_disabled():
        return Payment.objects.get(public_id=token)


def to_sandbox(client, payment):
    """Confirm the payment; the sandbox page's path it was sent to."""
    response = client.post(f"/payments/{payment.public_id}/confirm/")
    assert response.status_code == 302
    path = re.sub(r"^https?://[^/]+", "", response["Location"])
    assert path.startswith("/sandbox-pay/")
    return path


def pay_through(client, account, outcome="success", **start_options):
    response, token = start(client, account, **start_options)
    assert response.status_code == 302, text_of(response)
    page = to_sandbox(client, payment_of(token))
    client.post(page, {"outcome": outcome})
    return payment_of(token)


def notify(client, shop, body, signature=None):
    headers = {} if signature is False else {
        "HTTP_X_SANDBOX_SIGNATURE": signature or sandbox.sign(shop.secret, body)}
    return client.post(f"/payments/notify/{shop.pk}/", data=body, content_type="application/json", **headers)


def payment_rows(account, *, user=None):
    """A succeeded portal payment of ``account`` through its supplier's provider account
    (the demo's sandbox shop, or a new one) and the notification that told of it."""
    from decimal import Decimal

    from django.utils import timezone

    from .models import Payment, PaymentEvent, ProviderAccount

    tenant = account.tenant
    shop = ProviderAccount._base_manager.filter(supplier_id=account.supplier_id).first()
    if shop is None:
        shop = ProviderAccount(tenant=tenant, supplier_id=account.supplier_id, kind="sandbox",
                               shop_id=f"rows-{tenant.slug}-{account.pk}")
        shop.set_secret("rows-secret")
        shop.save()
    provider_payment_id = f"rows-{account.pk}"
    payment = Payment._base_manager.create(
        tenant=tenant, account=account, user=user, amount=Decimal("100.00"), status=Payment.Status.SUCCEEDED,
        provider_account=shop, provider=shop.kind, provider_payment_id=provider_payment_id,
        succeeded_at=timezone.now(),
    )
    event = PaymentEvent._base_manager.create(
        tenant=tenant, provider_account=shop, provider_payment_id=provider_payment_id, event="payment.succeeded",
        body="{}", body_sha256=f"{account.pk:064d}",
    )
    return {"provider_account": shop, "payment": payment, "payment_event": event}
