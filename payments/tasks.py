"""Celery tasks of payments: thin wrappers over services (portal/tasks.py says how)."""

import logging

from celery import shared_task

from portal.models import Tenant
from portal.scoping import tenant_scope
from portal.tasks import TenantTask

from . import services
from .models import PaymentEvent
from .providers import ProviderError
from .providers.sandbox import remote as sandbox

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
        raise self.retry(exc=error, countdown=min(600, 10 * 2**self.request.retries)) from error


@shared_task
def refresh_stale_payments():
    """Every 5 minutes (CELERY_BEAT_SCHEDULE): the status of payments whose notification never
    came, tenant by tenant."""
    for tenant in Tenant.objects.all():
        with tenant_scope(tenant):
            asked = services.payments_refresh_stale()
        if asked:
            logger.info("Tenant %s: asked about %s stale payments", tenant.slug, asked)


# A real provider keeps trying for about a day; so does the sandbox (5 s, 10 s, … 1 h).
SANDBOX_NOTIFY_RETRIES = 30


@shared_task(bind=True, max_retries=SANDBOX_NOTIFY_RETRIES)
def sandbox_notify(self, *, payment_id, event):
    """The sandbox sends one notification; anything but 200 is tried again later."""
    try:
        status = sandbox.deliver(payment_id, event)
    except OSError as error:
        status = f"error {error}"
    except Exception as error:  # noqa: BLE001 - httpx's errors: the shop did not answer
        status = f"error {type(error).__name__}"
    if status != 200:
        if self.request.retries >= self.max_retries:
            logger.warning("Sandbox gave up notifying %s of %s: %s", payment_id, event, status)
            return
        raise self.retry(countdown=min(3600, 5 * 2**self.request.retries))
