"""Celery tasks of payments: thin wrappers over services (portal/tasks.py says how)."""

import logging
from collections import Counter

from celery import shared_task

from portal.models import Tenant
from portal.retries import MAX_COUNTDOWN, TRANSIENT_ERRORS
from portal.scoping import tenant_scope
from portal.tasks import TenantTask

from . import services
from .models import PaymentEvent
from .providers import ProviderError
from .providers.sandbox import remote as sandbox

logger = logging.getLogger(__name__)


@shared_task(base=TenantTask, autoretry_for=(ProviderError, *TRANSIENT_ERRORS), retry_backoff=5,
             retry_backoff_max=MAX_COUNTDOWN, retry_jitter=False, max_retries=10)
def apply_payment_event(*, tenant, event_id):
    """Fetch the status a notification is about and apply it. Run again (acks_late, a worker
    killed half-way, a duplicate), it applies nothing twice: the move happens under a lock.
    A provider that does not answer, PostgreSQL or Redis restarting: tried again after 5, 10,
    20, 40, 80 s, then every MAX_COUNTDOWN, 10 times (about 12 minutes); after that, or if
    the retry itself is lost, refresh_stale_payments asks about the payment."""
    event = PaymentEvent.objects.filter(pk=event_id).first()
    if event is None:
        return
    services.event_apply(event)


@shared_task
def refresh_stale_payments():
    """Every 5 minutes (CELERY_BEAT_SCHEDULE): the status of payments whose notification never
    came (or was not applied), tenant by tenant; how many were asked about, and how many of
    those failed (logged, and asked again by the next run)."""
    total = Counter(asked=0, failed=0)
    for tenant in Tenant.objects.all():
        with tenant_scope(tenant):
            outcome = services.payments_refresh_stale()
        if outcome["asked"]:
            log = logger.warning if outcome["failed"] else logger.info
            log("Tenant %s: asked about %s stale payments, %s failed", tenant.slug, outcome["asked"],
                outcome["failed"])
        total.update(outcome)
    return dict(total)


@shared_task
def send_sandbox_notification(*, notification_id, attempt):
    """The sandbox makes one try of a notification (payments/providers/sandbox/remote.py)."""
    sandbox.send_notification(notification_id, attempt)


@shared_task
def send_due_sandbox_notifications():
    """Every minute (CELERY_BEAT_SCHEDULE): the sandbox's notifications due again."""
    return sandbox.send_due_notifications()
