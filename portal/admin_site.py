import math

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite
from django_otp.forms import OTPAuthenticationFormMixin
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_ratelimit.core import is_ratelimited

from .ratelimits import per_tenant_field


class StaffLoginForm(AdminAuthenticationForm, OTPAuthenticationFormMixin):
    """Login, password and the current code from the staff member's authenticator app."""

    otp_token = forms.CharField(
        label=_("Код из приложения"), max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    otp_error_messages = {
        **OTPAuthenticationFormMixin.otp_error_messages,
        "token_required": _("Введите код из приложения-аутентификатора."),
        "invalid_token": _("Неверный или устаревший код. Введите текущий код из приложения."),
        # django-otp formats this one with {reason, failure_count, locked_until}; the wait in
        # seconds is said by _refuse_while_throttled, this is only the fallback.
        "n_failed_attempts": _("Слишком много неверных кодов. Подождите немного и попробуйте снова."),
        "verification_not_allowed": _("Код сейчас проверить нельзя. Попробуйте позже."),
    }

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if cleaned.get("otp_token"):
            self._refuse_while_throttled(user)
        self.clean_otp(user)
        return cleaned

    def _refuse_while_throttled(self, user):
        """After a wrong code django-otp refuses the next ones for 1, 2, 4... seconds
        (OTP_TOTP_THROTTLE_FACTOR); say how long is left."""
        device = self._chosen_device(user)
        if device is None:
            return
        allowed, extra = device.verify_is_allowed()
        if not allowed and extra and extra.get("locked_until"):
            seconds = max(1, math.ceil((extra["locked_until"] - timezone.now()).total_seconds()))
            raise forms.ValidationError(
                _("Слишком много неверных кодов. Подождите %(seconds)s с и попробуйте снова.") % {"seconds": seconds},
                code="n_failed_attempts",
            )

    def _chosen_device(self, user):
        # Staff have one authenticator app (a TOTP device); no device picker on the form.
        return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


class PortalAdminSite(OTPAdminSite):
    """The admin: staff of the host's tenant (or platform superusers on the platform's host),
    verified by a TOTP code, with the login rate-limited per IP and per username."""

    site_title = _("Портал")
    index_title = _("Администрирование")
    login_form = StaffLoginForm
    login_template = "admin/portal_login.html"

    def __init__(self, name="admin"):
        super().__init__(name)

    def has_permission(self, request):
        # The scope already hides users of other tenants; this states the rule outright.
        tenant_id = request.tenant.pk if request.tenant else None
        return super().has_permission(request) and request.user.tenant_id == tenant_id

    def each_context(self, request):
        context = super().each_context(request)
        context["site_header"] = request.tenant.short_name if request.tenant else _("Платформа")
        return context

    def login(self, request, extra_context=None):
        if request.method == "POST" and (
            is_ratelimited(request, group="admin-login-ip", key="ip", rate="10/m", method="POST", increment=True)
            or is_ratelimited(request, group="admin-login-user", key=per_tenant_field("username"), rate="10/m",
                              method="POST", increment=True)
        ):
            return render(request, "admin/portal_login_limited.html", status=429)
        return super().login(request, extra_context)
