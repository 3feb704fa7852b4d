"""The trail in the admin: read by a tenant's superusers and platform superusers, changed
by no one (no add, change or delete page answers; the model refuses a second save)."""

from auditlog.registry import auditlog
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from portal.admin import TenantOwnedAdmin

from .access import can_read_trail
from .changes import change_rows, who
from .history import show_trail_in_history
from .models import ACTION_NAMES, ERASED, ERASED_LABEL, AuditEntry

# django-auditlog registers its own admin for the entry model (English, and open to anyone
# holding the view permission); this one replaces it.
if admin.site.is_registered(AuditEntry):
    admin.site.unregister(AuditEntry)
# The trail under a user's and a supplier's history page (audit.history).
show_trail_in_history(admin.site)


class ActionFilter(admin.SimpleListFilter):
    title = _("действие")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return [(str(value), label) for value, label in ACTION_NAMES.items() if value != AuditEntry.Action.ACCESS]

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() and self.value().isdigit() else queryset


class ObjectTypeFilter(admin.SimpleListFilter):
    title = _("что изменено")
    parameter_name = "object_type"

    def lookups(self, request, model_admin):
        types = ContentType.objects.get_for_models(*auditlog.get_models()).values()
        return sorted(((str(kind.pk), kind.model_class()._meta.verbose_name_plural) for kind in types),
                      key=lambda choice: str(choice[1]))

    def queryset(self, request, queryset):
        return queryset.filter(content_type_id=self.value()) if self.value() and self.value().isdigit() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(TenantOwnedAdmin):
    # The admin isolation walk's staff member holds every permission and is still refused
    # (audit.access): the walk expects this page closed to them, as a platform-only page.
    platform_superusers_only = True

    list_display = ["when", "who", "action_name", "what", "summary"]
    list_filter = [ActionFilter, ObjectTypeFilter]
    list_select_related = ["actor", "content_type"]
    search_fields = ["object_repr", "actor__username", "actor_email"]
    search_help_text = _("Логин сотрудника или название объекта.")
    date_hierarchy = "timestamp"
    ordering = ["-timestamp", "-pk"]
    fields = ["when", "who", "address", "action_name", "what", "changes_table"]
    readonly_fields = fields
    show_facets = admin.ShowFacets.NEVER

    def get_queryset(self, request):
        # No rows for anyone else, so that no view can tell an entry from a missing one.
        queryset = super().get_queryset(request)
        return queryset if can_read_trail(request) else queryset.none()

    def get_fields(self, request, obj=None):
        return [*self.fields, "tenant"] if request.tenant is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def has_module_permission(self, request):
        return can_read_trail(request)

    def has_view_permission(self, request, obj=None):
        return can_read_trail(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("когда"), ordering="timestamp")
    def when(self, entry):
        return formats.localize(timezone.localtime(entry.timestamp))

    @admin.display(description=_("кто"))
    def who(self, entry):
        return who(entry)

    @admin.display(description=_("IP-адрес"))
    def address(self, entry):
        return entry.remote_addr or "—"

    @admin.display(description=_("действие"))
    def action_name(self, entry):
        return ACTION_NAMES.get(entry.action, entry.action)

    @admin.display(description=_("объект"))
    def what(self, entry):
        model = entry.content_type.model_class()
        kind = model._meta.verbose_name if model else entry.content_type.model
        label = f"{kind}: {ERASED_LABEL if entry.object_repr == ERASED else entry.object_repr}"
        if entry.action == AuditEntry.Action.DELETE:
            return label
        try:
            url = reverse(f"admin:{entry.content_type.app_label}_{entry.content_type.model}_change",
                          args=[entry.object_pk])
        except NoReverseMatch:
            return label
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.display(description=_("изменения"))
    def summary(self, entry):
        return "; ".join(f"{row.field}: {row.before} → {row.after}" for row in change_rows(entry))

    @admin.display(description=_("было → стало"))
    def changes_table(self, entry):
        rows = change_rows(entry)
        if not rows:
            return "—"
        return format_html(
            "<table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            _("поле"), _("было"), _("стало"),
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                             ((row.field, row.before, row.after) for row in rows)),
        )
