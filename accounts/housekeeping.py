"""Housekeeping services for accounts: deleting confirmations nobody can use any more.
Beat calls them through thin tasks (accounts.tasks, CELERY_BEAT_SCHEDULE)."""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from portal.scoping import scopes_disabled

from .models import Confirmation

# Older than every resend cooldown a policy allows (at most an hour), which is the one
# thing a dead confirmation still answers: when the user's last code was sent.
KEEP_DEAD_CONFIRMATIONS = timedelta(days=1)


def confirmations_delete_stale(*, now=None):
    """Delete confirmations that are used, superseded or expired (code and link both) and
    were sent more than a day ago. A live one is never deleted, whatever its age (a link
    may live the whole activation window). Returns how many were deleted."""
    now = now or timezone.now()
    expired = (Q(code_expires_at__isnull=True) | Q(code_expires_at__lte=now)) & (
        Q(key_expires_at__isnull=True) | Q(key_expires_at__lte=now)
    )
    dead = Q(used_at__isnull=False) | Q(superseded=True) | expired
    # Platform-wide on purpose: the rule is the same for every tenant and reads nothing
    # out of the rows, so walking the tenants' scopes one by one would only cost a query
    # per tenant. Nothing else runs inside this block.
    with scopes_disabled():
        deleted, _by_model = Confirmation.objects.filter(dead, created_at__lt=now - KEEP_DEAD_CONFIRMATIONS).delete()
    return deleted
