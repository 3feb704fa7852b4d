"""Writes to the trail other than the library's own: a secret that staff change, and
erasure under 152-FZ."""

from .apps import KEPT_ON_ERASURE
from .models import ERASED, NEW_SECRET, NO_SECRET, SECRET, AuditEntry


def entry_secret_changed(instance, *, field, was_set, is_set):
    """An entry saying that ``instance``'s secret ``field`` (a password) was set, replaced or
    removed: the library never sees the change, since the field is excluded from its diffs.
    Like every entry, written only inside an admin request (audit.recording), with the
    request's actor; the value is never recorded, not even as a hash."""
    before, after = SECRET if was_set else NO_SECRET, NEW_SECRET if is_set else NO_SECRET
    return AuditEntry.objects.log_create(instance, action=AuditEntry.Action.UPDATE, changes={field: [before, after]})


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
