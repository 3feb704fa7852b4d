"""An object's entries on the trail in its admin history page.

Django's own history (admin.LogEntry) says only which fields changed; the trail says who
changed them from what to what. ``TrailInHistory`` adds the object's entries (newest
first, at most ``HISTORY_ENTRIES``) under it, for those who read the trail
(audit.access): the tenant's superusers and platform superusers. Anyone else sees the
page as before.
"""

from django.contrib.admin.utils import unquote

from .access import can_read_trail
from .changes import change_rows, who
from .models import ACTION_NAMES, AuditEntry

HISTORY_ENTRIES = 100


class TrailInHistory:
    """For a ModelAdmin of a model on the trail (audit.apps.TRACKED)."""

    object_history_template = "admin/audit/object_history.html"

    def history_view(self, request, object_id, extra_context=None):
        extra_context = {**(extra_context or {}), "trail": self._trail(request, object_id)}
        return super().history_view(request, object_id, extra_context)

    def _trail(self, request, object_id):
        if not can_read_trail(request):
            return None
        obj = self.get_object(request, unquote(object_id))  # this admin's queryset: the request's tenant
        if obj is None:
            return None
        entries = AuditEntry.objects.get_for_object(obj).select_related("actor").order_by("-timestamp", "-pk")
        shown = list(entries[:HISTORY_ENTRIES])
        return {
            "entries": [{"entry": entry, "who": who(entry), "action": ACTION_NAMES.get(entry.action, ""),
                         "rows": change_rows(entry)} for entry in shown],
            "total": entries.count() if len(shown) == HISTORY_ENTRIES else len(shown),
        }
