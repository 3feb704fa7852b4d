"""Rows of every payments model for an account, for tests that walk every table (the admin)."""


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
