"""The admin, for two audiences on two kinds of host.

- On the platform's host (PORTAL_DOMAIN), platform superusers see and edit every tenant.
- On a tenant's host, that tenant's staff see and edit that tenant's rows only: the request's
  tenant scope filters every scoped queryset, and the mixins below keep the tenant field
  fixed and platform-wide tables out of reach.
"""

from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .services import messages_resend, policy_warnings, tenant_ensure_policy
from .models import ConsentDocument, OutgoingMessage, Tenant, TenantDomain, TenantPolicy
from .pagination import LargeTablePaginator


def on_platform_host(request):
    return request.tenant is None


class RussianTitles:
    """Page titles that read right in Russian. Django's own put the model's name after a verb
    («Выберите %s для изменения», «Добавить %s», «Изменить %s», «Просмотреть %s»), where
    Russian wants the accusative: «Выберите обращение или заявку», «Добавить поставщика»;
    the name itself (``verbose_name``) stays nominative, as lists, inlines and messages use
    it. An admin whose model's name changes in the accusative says it in ``accusative``
    (tests/test_admin_titles.py walks every registered admin)."""

    accusative = None

    def accusative_name(self):
        return self.accusative or self.model._meta.verbose_name

    def changelist_view(self, request, extra_context=None):
        title = (_("Выберите %s для изменения") if self.has_change_permission(request)
                 else _("Выберите %s для просмотра"))
        return super().changelist_view(request, {"title": title % self.accusative_name(), **(extra_context or {})})

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # Django's own choice of verb (add; change if allowed; else view), with the accusative.
        if add:
            title = _("Добавить %s")
        elif self.has_change_permission(request, obj):
            title = _("Изменить %s")
        else:
            title = _("Просмотреть %s")
        context["title"] = title % self.accusative_name()
        return super().render_change_form(request, context, add, change, form_url, obj)


class TenantOwnedAdmin(RussianTitles, admin.ModelAdmin):
    """For models with a ``tenant`` field. On a tenant host the field is fixed to it."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "tenant" and not on_platform_host(request):
            kwargs["queryset"] = Tenant.objects.filter(pk=request.tenant.pk)
            kwargs["initial"] = request.tenant
            kwargs["disabled"] = True
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not on_platform_host(request):
            obj.tenant = request.tenant
        super().save_model(request, obj, form, change)

    def get_list_display(self, request):
        columns = super().get_list_display(request)
        return (*columns, "tenant") if on_platform_host(request) else columns

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        return (*filters, "tenant") if on_platform_host(request) else filters


class LargeTableAdmin(RussianTitles, admin.ModelAdmin):
    """List pages of tables that grow to millions of rows per tenant (billing data).

    No full count (``LargeTablePaginator``, no "N total", no facets, which count per
    choice), related rows joined in the list's one query (the platform's tenant column
    too), and sorting only by what an index orders (``sortable_by`` of each admin).
    """

    paginator = LargeTablePaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    sortable_by = ()

    def get_list_select_related(self, request):
        related = self.list_select_related
        if on_platform_host(request) and related is not False and any(
            field.name == "tenant" for field in self.model._meta.fields
        ):
            return [*(related if isinstance(related, (list, tuple)) else ()), "tenant"]
        return related


class PlatformOnlyAdmin(RussianTitles, admin.ModelAdmin):
    """Tables shared by all tenants (or that define them): platform superusers only."""

    def get_queryset(self, request):
        # No rows at all off the platform host, so that no view (history checks existence
        # before permission) can tell an existing row from a missing one.
        queryset = super().get_queryset(request)
        return queryset if on_platform_host(request) else queryset.none()

    def has_module_permission(self, request):
        return on_platform_host(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return on_platform_host(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return on_platform_host(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return on_platform_host(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return on_platform_host(request) and super().has_delete_permission(request, obj)


class TenantPolicyInline(admin.StackedInline):
    model = TenantPolicy
    can_delete = False
    fieldsets = [
        (_("Регистрация и логин"), {"fields": [
            "login_kind", "full_name_field", "email_field", "phone_field", "password_at_signup",
            "signup_captcha", "subscriber_individual", "subscriber_legal",
        ]}),
        (_("Пароль"), {"fields": [
            "password_min_length", "password_max_length", "password_charset",
            "password_needs_latin_letter", "password_needs_upper_and_lower", "password_needs_digit",
        ]}),
        (_("Подтверждение"), {"fields": [
            "phone_confirmation", "email_confirmation", "code_length", "code_ttl_seconds",
            "resend_cooldown_seconds", "code_max_attempts", "activation_window_hours",
            "login_before_activation", "delete_unactivated", "staff_register_customers",
        ]}),
        (_("Согласия"), {"fields": ["consent_after_first_login"]}),
        (_("Лицевые счета"), {"fields": [
            "account_linking", "extended_access", "question_meter_serial", "question_last_charge", "question_pin",
        ]}),
    ]


class TenantDomainInline(admin.TabularInline):
    model = TenantDomain
    extra = 0


@admin.register(Tenant)
class TenantAdmin(RussianTitles, admin.ModelAdmin):
    accusative = _("организацию")
    """Tenants are created and configured by platform superusers; staff may view their own."""

    list_display = ["short_name", "slug", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["slug", "name", "short_name"]
    inlines = [TenantPolicyInline, TenantDomainInline]
    fieldsets = [
        (None, {"fields": ["slug", "name", "short_name", "kind", "is_active"]}),
        (_("Оформление и поддержка"), {"fields": [
            "support_phones", "support_email", "primary_colour", "accent_colour", "logo",
        ]}),
    ]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if on_platform_host(request) else queryset.filter(pk=request.tenant.pk)

    def get_readonly_fields(self, request, obj=None):
        return ["slug"] if obj else []

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # An untouched policy inline is not saved by Django; every tenant needs one.
        policy = tenant_ensure_policy(tenant=form.instance)
        for warning in policy_warnings(policy):
            messages.warning(request, warning)

    def has_add_permission(self, request):
        return on_platform_host(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return on_platform_host(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return on_platform_host(request) and super().has_delete_permission(request, obj)


@admin.register(OutgoingMessage)
class OutgoingMessageAdmin(LargeTableAdmin, TenantOwnedAdmin):
    """The outbox, read-only: what was sent, what waits, what was given up on and why
    (filter «не отправлено»). «Отправить ещё раз» queues a message given up on again while its
    text is kept and valid; the change is on the audit trail. The text itself is never shown
    (it may carry a one-time code)."""

    list_display = ["created_at", "status", "error", "to", "channel", "attempts", "sent_at", "expires_at"]
    list_filter = ["status", "channel", "has_code"]
    sortable_by = ["created_at"]
    ordering = ["-created_at"]
    fields = ["tenant", "channel", "to", "user", "status", "has_code", "attempts", "error", "created_at",
              "claimed_at", "sent_at", "expires_at", "due_at", "text_kept", "forget_recipient"]
    readonly_fields = fields
    actions = ["resend"]

    @admin.display(description=_("текст хранится"), boolean=True)
    def text_kept(self, message):
        return bool(message.payload)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Отправить ещё раз"), permissions=["change"])
    def resend(self, request, queryset):
        chosen = queryset.count()
        resent = messages_resend(queryset)
        if resent:
            self.message_user(request, ngettext("Сообщение снова в очереди.",
                                                "Сообщений снова в очереди: %(count)d.", resent) % {"count": resent})
        if chosen > resent:
            skipped = chosen - resent
            self.message_user(request, ngettext(
                "Сообщение не отправить ещё раз: оно не в состоянии «не отправлено», его текст не сохранён или "
                "истёк срок действия.",
                "Сообщений, которые не отправить ещё раз (не в состоянии «не отправлено», текст не сохранён или "
                "истёк срок действия): %(count)d.", skipped) % {"count": skipped}, messages.WARNING)


@admin.register(ConsentDocument)
class ConsentDocumentAdmin(TenantOwnedAdmin):
    list_display = ["title", "kind", "version", "required", "moment", "is_active"]
    list_filter = ["kind", "is_active", "moment"]
    search_fields = ["title"]


admin.site.unregister(Group)


@admin.register(Group)
class PlatformGroupAdmin(PlatformOnlyAdmin, GroupAdmin):
    """Groups (sets of permissions) are shared by all tenants."""

    accusative = _("группу")


# Second-factor devices are provisioned by platform superusers (the change page shows the
# QR code to scan); tenant staff never see devices, their own included.
admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class PlatformTOTPDeviceAdmin(PlatformOnlyAdmin, TOTPDeviceAdmin):
    """django-otp's device admin, on the platform host only."""

    accusative = _("устройство TOTP")

    # django-otp's own views (the device's otpauth URL and its QR code) load the device with
    # objects.get() before checking permission: a missing id was a 500, an existing one 403.
    def config_view(self, request, pk):
        self._check_device(request, pk)
        return super().config_view(request, pk)

    def qrcode_view(self, request, pk):
        self._check_device(request, pk)
        return super().qrcode_view(request, pk)

    def _check_device(self, request, pk):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        if self.get_object(request, str(pk)) is None:
            raise Http404
