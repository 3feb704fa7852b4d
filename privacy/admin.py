"""Deletion requests in the admin: the tenant's staff read them and decide.

«Подтвердить удаление» and «Отклонить» are list actions (change permission), each row moved
through ``services.deletion_request_confirm`` / ``services.deletion_request_reject`` under its lock, so a request decided
twice (two staff members, two tabs) is decided once; the person is told either way. Nothing
is edited by hand, nobody adds or deletes a request: the rows are the record of what was
asked and done."""

from django.contrib import admin, messages
from django.utils.translation import gettext, gettext_lazy as _

from portal.admin import TenantOwnedAdmin

from . import services
from .models import DeletionRequest


@admin.register(DeletionRequest)
class DeletionRequestAdmin(TenantOwnedAdmin):
    list_display = ["__str__", "user", "created_at", "status", "decided_at", "decided_by", "completed_at"]
    list_filter = ["status"]
    list_select_related = ["user", "decided_by"]
    ordering = ["-created_at"]
    fields = ["user", "person", "status", "reason", "created_at", "decided_at", "decided_by", "completed_at"]
    readonly_fields = fields
    actions = ["confirm_deletion", "reject_deletion"]

    @admin.display(description=_("ФИО и контакты"))
    def person(self, obj):
        user = obj.user
        return " · ".join(part for part in (user.get_full_name(), user.email, user.phone) if part) or "—"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _decide(self, request, queryset, decide, done):
        count = 0
        for deletion in queryset:
            try:
                decide(deletion, staff=request.user)
            except services.DeletionRefused as refused:
                self.message_user(request, str(refused), messages.WARNING)
            else:
                count += 1
        if count:
            self.message_user(request, done % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Подтвердить удаление"), permissions=["change"])
    def confirm_deletion(self, request, queryset):
        self._decide(request, queryset, services.deletion_request_confirm,
                     gettext("Подтверждено запросов: %(count)d. Данные удаляются, пользователь уведомлён."))

    @admin.action(description=_("Отклонить"), permissions=["change"])
    def reject_deletion(self, request, queryset):
        self._decide(request, queryset, services.deletion_request_reject,
                     gettext("Отклонено запросов: %(count)d. Пользователь уведомлён."))
