"""The demo's payment providers: every supplier of every tenant takes payments through the
sandbox (its page, notifications and status requests imitate a real provider's), so
`make run` can pay. seed_demo (portal/demo.py) calls ``seed`` after billing's suppliers."""

SEED_AFTER = ("billing",)


def seed(tenants):
    """A sandbox provider account for each supplier without one; idempotent."""
    from django.utils.crypto import salted_hmac

    from billing.models import Supplier
    from portal.scoping import tenant_scope

    from .models import ProviderAccount

    for tenant in tenants:
        with tenant_scope(tenant):
            for supplier in Supplier.objects.filter(tenant=tenant).exclude(provider_account__isnull=False):
                account = ProviderAccount(tenant=tenant, supplier=supplier, kind=ProviderAccount.Kind.SANDBOX,
                                          shop_id=f"demo-{tenant.slug}-{supplier.code}")
                # Not guessable from the code: a demo served publicly keeps its shops' secrets.
                account.set_secret(salted_hmac("payments.demo", f"{tenant.slug}:{supplier.code}").hexdigest())
                account.save()
    return []
