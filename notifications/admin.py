"""Notices sent, for staff: a read-only list (who was told what, when, by which channel).
Nobody adds, edits or deletes them here: a row is what keeps a notice from going out twice."""

from django.contrib import admin

from portal.admin import LargeTableAdmin, TenantOwnedAdmin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(TenantOwnedAdmin, LargeTableAdmin):
    list_display = ["created_at", "user", "kind", "key", "channels"]
    list_filter = ["kind"]
    list_select_related = ["user"]
    search_fields = ["=user__username", "=user__email", "=key"]
    fields = ["created_at", "user", "kind", "key", "channels"]
    readonly_fields = fields
    sortable_by = ("created_at",)
    ordering = ["-created_at", "-pk"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
