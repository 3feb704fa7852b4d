"""The demo's subscriptions: seed_demo (portal/demo.py) calls ``seed`` after accounts'
(SEED_AFTER). Each tenant's demo consumer gets a Subscription with the defaults (SMS on for
a consumer who has only a phone), as if they had opened «Мои подписки» once, and each
tenant's invoice watermark is set past the demo's billing history: the seed's import must
not mail two months of invoices to the demo consumers it has just linked (the notice run
queued by that import runs after the seed commits)."""

SEED_AFTER = ["accounts"]


def seed(tenants):
    from accounts.demo import consumer_login
    from accounts.models import User
    from billing.models import Invoice
    from portal.scoping import tenant_scope

    from .models import InvoiceWatermark
    from .services import subscription_ensure

    for tenant in tenants:
        with tenant_scope(tenant):
            for user in User.objects.filter(username=consumer_login(tenant)):
                subscription_ensure(user)
            top = Invoice.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            InvoiceWatermark.objects.update_or_create(tenant=tenant, defaults={"last_invoice_id": top})
    return []
