"""Celery tasks: thin wrappers that call one service inside a tenant's scope.

Every task that works for a tenant has ``TenantTask`` as its base: it is called with
``tenant_id`` (None: the platform), loads the tenant and runs the task's body in its
scope with ``tenant`` given. The body calls a service and nothing more.
"""

import logging

from celery import Task, shared_task
from celery.utils.time import get_exponential_backoff_interval

from . import services
from .models import Tenant
from .retries import MAX_COUNTDOWN, TRANSIENT_ERRORS
from .scoping import tenant_scope

logger = logging.getLogger(__name__)


class TenantTask(Task):
    # Callers pass tenant_id where the body takes tenant: Celery's check of the arguments
    # against the body's signature would refuse that.
    typing = False

    def __call__(self, *args, tenant_id, **kwargs):
        tenant = None
        if tenant_id is not None:
            try:
                tenant = Tenant.objects.select_related("policy").filter(pk=tenant_id).first()
            except tuple(getattr(self, "autoretry_for", ())) as error:  # as the body's errors are
                raise self.retry(exc=error, countdown=min(MAX_COUNTDOWN, self.backoff())) from error
            if tenant is None:
                logger.warning("Task %s dropped: tenant %s no longer exists.", self.name, tenant_id)
                return None
        with tenant_scope(tenant):
            return super().__call__(*args, tenant=tenant, **kwargs)

    def backoff(self):
        """Seconds before the next try, counted as ``autoretry_for`` counts them."""
        if not getattr(self, "retry_backoff", False):
            return self.default_retry_delay
        return get_exponential_backoff_interval(
            factor=int(max(1.0, self.retry_backoff)), retries=self.request.retries,
            maximum=getattr(self, "retry_backoff_max", 600), full_jitter=getattr(self, "retry_jitter", True))


@shared_task(base=TenantTask, bind=True, max_retries=services.MAX_DELIVERY_ATTEMPTS, autoretry_for=TRANSIENT_ERRORS,
             retry_backoff=10, retry_backoff_max=MAX_COUNTDOWN)
def deliver_message(self, *, tenant, message_id, subject=None, body=None, headers=None):
    """Send one OutgoingMessage (its text is kept with the row). A transient error while
    sending is retried with the service's backoff (10 s … MAX_COUNTDOWN), one while reading
    or writing the row (the database, autoretry) with Celery's; a retry that is lost, or runs
    out, leaves the row queued and due, for the sweep. ``subject``/``body``/``headers``: only
    in tasks queued before the text was kept with the row."""
    try:
        services.message_deliver(tenant=tenant, message_id=message_id, subject=subject, body=body, headers=headers)
    except services.DeliveryPostponed as postponed:
        raise self.retry(exc=postponed.error, countdown=min(MAX_COUNTDOWN, postponed.countdown),
                         max_retries=None) from postponed.error


@shared_task
def sweep_outbox():
    """Every OUTBOX_SWEEP_SECONDS (CELERY_BEAT_SCHEDULE), platform-wide: messages queued and not
    picked up are published again, stuck and expired ones resolved (services.messages_sweep)."""
    return services.messages_sweep()


@shared_task
def delete_expired_captchas():
    """Hourly (CELERY_BEAT_SCHEDULE). Platform-wide: captchas belong to no tenant."""
    return services.captchas_delete_expired()


@shared_task
def delete_expired_sessions():
    """Hourly (CELERY_BEAT_SCHEDULE). Platform-wide: sessions belong to no tenant (a
    session's cookie is host-only, its row has no tenant)."""
    services.sessions_delete_expired()


@shared_task
def delete_orphan_files():
    """Daily (CELERY_BEAT_SCHEDULE). Platform-wide: files no row names, older than a day."""
    return len(services.orphan_files_delete())
