"""Payments in the admin.

A platform superuser (superusers belong to no tenant) sets up each supplier's payment provider (``ProviderAccountAdmin``): the secret
key is written, never shown back (only its last four characters). Staff browse the portal's
payments and the notifications providers sent, and refund a payment; nobody edits a
payment's status by hand: it comes from the provider.
"""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from portal.admin import LargeTableAdmin, TenantOwnedAdmin

from . import services
from .models import Payment, PaymentEvent, ProviderAccount
from .providers import ProviderError
from .secrets import SecretUnreadable, masked


class ProviderAccountForm(forms.ModelForm):
    """The admin builds the model's fields per request (inside the tenant's scope); this
    adds the secret, written encrypted and never rendered back."""

    secret = forms.CharField(
        label=_("Секретный ключ"), required=False, strip=True, max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.secret_encrypted:
            try:
                current = masked(self.instance.secret)
            except SecretUnreadable:
                current = _("не читается текущим ключом шифрования — введите заново")
            self.fields["secret"].help_text = _("Сейчас: %(current)s. Оставьте пустым, чтобы не менять.") % {
                "current": current}

    def clean(self):
        cleaned = super().clean()
        tenant, supplier = cleaned.get("tenant"), cleaned.get("supplier")
        if tenant and supplier and supplier.tenant_id != tenant.pk:
            self.add_error("supplier", _("Это поставщик другой организации."))
        if not cleaned.get("secret") and not self.instance.secret_encrypted:
            self.add_error("secret", _("Введите секретный ключ магазина."))
        return cleaned

    def save(self, commit=True):
        if self.cleaned_data.get("secret"):
            self.instance.set_secret(self.cleaned_data["secret"])
        return super().save(commit)


class SuperuserOnly:
    """Provider credentials are a platform superuser's business only."""

    platform_superusers_only = True  # what the admin isolation walk expects of this page

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission


@admin.register(ProviderAccount)
class ProviderAccountAdmin(SuperuserOnly, TenantOwnedAdmin):
    form = ProviderAccountForm
    fields = ["tenant", "supplier", "kind", "shop_id", "secret", "is_active"]
    list_display = ["supplier", "kind", "shop_id", "is_active", "updated_at"]
    list_filter = ["kind", "is_active"]


@admin.register(Payment)
class PaymentAdmin(LargeTableAdmin, TenantOwnedAdmin):
    list_display = ["created_at", "account", "amount", "status", "provider", "provider_payment_id", "export"]
    list_filter = ["status", "kind", "provider"]
    list_select_related = ["account__supplier", "export"]
    search_fields = ["=account__number", "=provider_payment_id"]
    search_help_text = _("Номер лицевого счёта или номер платежа у сервиса целиком.")
    ordering = ["-pk"]
    readonly_fields = [field.name for field in Payment._meta.fields] + ["readings"]
    actions = ["refund"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Вернуть деньги полностью"), permissions=["change"])
    def refund(self, request, queryset):
        for payment in queryset.select_related("provider_account"):
            try:
                services.payment_refund(payment)
            except (services.PaymentRefused, ProviderError) as error:
                self.message_user(request, f"{payment.provider_payment_id or payment.pk}: {error}", messages.ERROR)
            else:
                self.message_user(request, _("Возврат по платежу %(id)s отправлен.") % {
                    "id": payment.provider_payment_id}, messages.SUCCESS)


@admin.register(PaymentEvent)
class PaymentEventAdmin(LargeTableAdmin, TenantOwnedAdmin):
    list_display = ["received_at", "event", "provider_payment_id", "deliveries", "processed_at", "client_ip"]
    list_filter = ["event"]
    search_fields = ["=provider_payment_id"]
    ordering = ["-pk"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
