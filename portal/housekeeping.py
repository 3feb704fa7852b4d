"""Housekeeping services: deleting rows that only pile up. Beat calls them through thin
tasks (portal.tasks, CELERY_BEAT_SCHEDULE); neither table belongs to a tenant."""

from importlib import import_module

from captcha.models import CaptchaStore
from django.conf import settings
from django.utils import timezone


def captchas_delete_expired(*, now=None):
    """Delete captcha challenges past their lifetime (CAPTCHA_TIMEOUT): every view of a
    page with a captcha stores one, answered or not. Returns how many were deleted.

    CaptchaStore.remove_expired() does the same but tells nothing back."""
    deleted, _by_model = CaptchaStore.objects.filter(expiration__lte=now or timezone.now()).delete()
    return deleted


def sessions_delete_expired():
    """Delete expired sessions from the session store (what `manage.py clearsessions` does).
    The cached_db store's cache entries expire by themselves."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
