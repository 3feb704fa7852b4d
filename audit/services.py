"""Writes to the trail other than the library's own: erasure under 152-FZ."""

from .models import ERASED, AuditEntry


def entries_erase_subject(*, user):
    """Blank the personal data in the entries about ``user``'s data: the object's name and
    every value before and after. Who changed which fields of what, and when, stays. The one
    change an entry ever gets, made with an update (``AuditEntry.save`` refuses)."""
    for entry in AuditEntry.objects.filter(subject=user).only("pk", "changes"):
        changes = {field: [ERASED, ERASED] for field in (entry.changes or {})}
        AuditEntry.objects.filter(pk=entry.pk).update(object_repr=ERASED, changes=changes, serialized_data=None)
