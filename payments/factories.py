"""Builders for payments' tests: rows of every payments model for an account (tests that walk
every table, the admin), and a payer's way through the pages (pay, confirm, the sandbox's page)
and a provider's notification."""

import re
import uuid


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


def start(client, account, *, kind="debt", amount="", token=None):
    """Send the pay form of ``account``: (the response, the form's token)."""
    token = token or uuid.uuid4()
    response = client.post(f"/personal/{account.pk}/pay/", {"kind": kind, "amount": amount, "token": token})
    return response, token


def payment_of(token):
    from portal.scoping import scopes_disabled

    from .models import Payment

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
    """Pay from the form to the sandbox's outcome ``outcome``; the payment as it is then."""
    response, token = start(client, account, **start_options)
    assert response.status_code == 302, response.content.decode()[:2000]
    page = to_sandbox(client, payment_of(token))
    client.post(page, {"outcome": outcome})
    return payment_of(token)


def notify(client, shop, body, signature=None):
    """POST a sandbox notification to the portal, signed with the shop's key (or ``signature``,
    or unsigned with False)."""
    from . import sandbox

    headers = {} if signature is False else {
        "HTTP_X_SANDBOX_SIGNATURE": signature or sandbox.sign(shop.secret, body)}
    return client.post(f"/payments/notify/{shop.pk}/", data=body, content_type="application/json", **headers)
