from celery import shared_task
from django.core.management import call_command


@shared_task
def expire_unactivated():
    """Hourly (CELERY_BEAT_SCHEDULE): the same work as `manage.py expire_unactivated`."""
    call_command("expire_unactivated")
