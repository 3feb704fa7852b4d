"""An object's entries on the trail in its admin history page.

Django's own history (admin.LogEntry) says only which fields changed; the trail says who
changed them from what to what. ``TrailInHistory`` adds the object's entries (newest
first, at most ``HISTORY_ENTRIES``) under it, for those who read the trail
(audit.access): the tenant's superusers and platform superusers. Anyone else sees the
page as before. Which admins show it is said here, by label (``SHOWN_IN_HISTORY``), as
the trail names the models it records: no app imports audit for it.
"""

from django.apps import apps
from django.contrib.admin.utils import unquote

from .access import can_read_trail
from .changes import change_rows, who
from .models import ACTION_NAMES, AuditEntry

HISTORY_ENTRIES = 100
# The admin history pages that show the trail: a user's (staff's edits of roles, contacts and
# passwords) and a supplier's (the payee of every receipt and QR code).
SHOWN_IN_HISTORY = ("accounts.User", "billing.Supplier")


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


def show_trail_in_history(site):
    """Give the admins of ``SHOWN_IN_HISTORY`` on ``site`` the trail under their history
    page (``TrailInHistory`` before their own class). Called by audit/admin.py: the apps
    come before audit in INSTALLED_APPS, so admin's autodiscovery has registered theirs."""
    for label in SHOWN_IN_HISTORY:
        if not apps.is_installed(label.split(".")[0]):
            continue
        model = apps.get_model(label)
        own = type(site.get_model_admin(model))
        site.unregister(model)
        site.register(model, type(own.__name__, (TrailInHistory, own), {"__module__": own.__module__}))
