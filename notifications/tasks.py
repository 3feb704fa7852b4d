"""Beat and import-driven runs. The platform-wide dispatchers only queue one task per tenant;
the per-tenant tasks run in that tenant's scope (TenantTask) and call one service."""

from celery import shared_task
from django.utils import timezone

from portal.models import Tenant
from portal.tasks import TenantTask

from . import services

# Reminders go out in the morning of each tenant's own time zone. The dispatcher runs hourly
# and queues a tenant while its clock shows 09:00–11:59: a missed hour is caught up by the
# next, and the repeat sends nothing (a notice is sent once).
REMINDER_HOURS = range(9, 12)


@shared_task(base=TenantTask)
def send_reading_reminders(*, tenant):
    return services.reminders_send(tenant=tenant)


@shared_task(base=TenantTask)
def notify_new_invoices(*, tenant):
    return services.invoices_notify(tenant=tenant)


@shared_task
def dispatch_reading_reminders():
    """Hourly (CELERY_BEAT_SCHEDULE): queue the reminder run of every active tenant in its
    morning (a switched-off tenant's customers hear nothing from the portal)."""
    now = timezone.now()
    queued = 0
    for tenant in Tenant.objects.filter(is_active=True).only("pk", "time_zone"):
        if timezone.localtime(now, tenant.zone).hour in REMINDER_HOURS:
            send_reading_reminders.delay(tenant_id=tenant.pk)
            queued += 1
    return queued


@shared_task
def dispatch_invoice_notices():
    """Daily (CELERY_BEAT_SCHEDULE), a safety net behind the run after each import."""
    for tenant_id in Tenant.objects.filter(is_active=True).values_list("pk", flat=True):
        notify_new_invoices.delay(tenant_id=tenant_id)


def on_billing_data_changed(sender, *, tenant, kinds, **kwargs):
    """portal.exchange.signals.billing_data_changed (sent after the import commits): invoices are
    built from charges, so an import that wrote charges may have brought new ones."""
    if "charges" in kinds:
        notify_new_invoices.delay(tenant_id=tenant.pk)
