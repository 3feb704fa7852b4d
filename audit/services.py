"""Writes to the trail other than the library's own: erasure under 152-FZ."""

from .apps import KEPT_ON_ERASURE
from .models import ERASED, AuditEntry


def entries_erase_subject(*, user):
    """Blank the personal data in the entries about ``user``'s data: the object's name and
    every value before and after, except the decision's own facts (KEPT_ON_ERASURE: a
    deletion request's status, who decided, when). Who changed which fields of what, and
    when, stays. The one change an entry ever gets, made with an update (``AuditEntry.save``
    refuses)."""
    entries = AuditEntry.objects.filter(subject=user).select_related("content_type").only(
        "pk", "changes", "content_type__app_label", "content_type__model")
    for entry in entries:
        model = entry.content_type.model_class()
        kept = KEPT_ON_ERASURE.get(model._meta.label, set()) if model else set()
        changes = {field: values if field in kept else [ERASED, ERASED]
                   for field, values in (entry.changes or {}).items()}
        AuditEntry.objects.filter(pk=entry.pk).update(object_repr=ERASED, changes=changes, serialized_data=None)
