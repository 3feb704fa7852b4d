from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class PortalAdminSite(admin.AdminSite):
    site_title = _("Портал")
    index_title = _("Администрирование")

    def has_permission(self, request):
        # The scope already hides users of other tenants; this states the rule outright.
        tenant_id = request.tenant.pk if request.tenant else None
        return super().has_permission(request) and request.user.tenant_id == tenant_id

    def each_context(self, request):
        context = super().each_context(request)
        context["site_header"] = request.tenant.short_name if request.tenant else _("Платформа")
        return context
