"""Celery tasks of payments: thin wrappers over services (portal/tasks.py says how)."""

import logging

from celery import shared_task

from portal.models import Tenant
from portal.retries import MAX_COUNTDOWN
from portal.scoping import tenant_scope
from portal.tasks import TenantTask

from . import sandbox, services
from .models import PaymentEvent
from .providers import ProviderError

logger = logging.getLogger(__name__)


@shared_task(base=TenantTask, bind=True, max_retries=10)
def apply_payment_event(self, *, tenant, event_id):
    """Fetch the status a notification is about and apply it. Run again (acks_late, a worker
    killed half-way, a duplicate), it applies nothing twice: the move happens under a lock."""
    event = PaymentEvent.objects.filter(pk=event_id).first()
    if event is None:
        return
    try:
        services.event_apply(event)
    except ProviderError as error:  # the provider did not answer: ask again later
        raise self.retry(exc=error, countdown=min(MAX_COUNTDOWN, 10 * 2**self.request.retries)) from error


@shared_task
def refresh_stale_payments():
    """Every 5 minutes (CELERY_BEAT_SCHEDULE): the status of payments whose notification never
    came, tenant by tenant."""
    for tenant in Tenant.objects.all():
        with tenant_scope(tenant):
            asked = services.payments_refresh_stale()
        if asked:
            logger.info("Tenant %s: asked about %s stale payments", tenant.slug, asked)


@shared_task
def send_sandbox_notification(*, notification_id, attempt):
    """The sandbox makes one try of a notification (payments/sandbox.py)."""
    sandbox.send_notification(notification_id, attempt)


@shared_task
def send_due_sandbox_notifications():
    """Every minute (CELERY_BEAT_SCHEDULE): the sandbox's notifications due again."""
    return sandbox.send_due_notifications()
