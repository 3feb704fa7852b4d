from celery import shared_task

from . import services


@shared_task
def expire_unactivated():
    """Hourly (CELERY_BEAT_SCHEDULE): the service behind `manage.py expire_unactivated`.
    It walks every tenant, entering each one's scope (portal.tasks.TenantTask is for tasks
    about one tenant)."""
    return services.users_expire_unactivated()


@shared_task
def delete_stale_confirmations():
    """Hourly (CELERY_BEAT_SCHEDULE): confirmations used, superseded or expired a day ago,
    platform-wide (see the service)."""
    return services.confirmations_delete_stale()
