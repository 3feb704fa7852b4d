import math

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes import views as contenttype_views
from django.contrib.contenttypes.models import ContentType
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite
from django_otp.forms import OTPAuthenticationFormMixin
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import services
from .ratelimits import by_field, limited, reserve_failure


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

    def get_urls(self):
        # Django's "view on site" (the contenttypes shortcut) loads the object through the
        # model's _base_manager, past the tenant scope and the ModelAdmin's queryset, so it
        # would tell another tenant's row from a missing one. Ours looks first.
        urls = [url for url in super().get_urls() if getattr(url, "name", None) != "view_on_site"]
        return [
            path("r/<path:content_type_id>/<path:object_id>/", self.admin_view(self.view_on_site),
                 name="view_on_site"),
            *urls,
        ]

    def view_on_site(self, request, content_type_id, object_id):
        """Redirect to an object's page, for an object this admin shows the user: found
        through its ModelAdmin's queryset (the request's tenant scope) with view permission.
        Anything else, another tenant's row included, is the same 404 as a missing one."""
        try:
            model = ContentType.objects.get_for_id(int(content_type_id)).model_class()
        except (ContentType.DoesNotExist, ValueError):
            model = None
        model_admin = self._registry.get(model)
        if (
            model_admin is None
            or not model_admin.has_view_or_change_permission(request)
            or model_admin.get_object(request, unquote(object_id)) is None
        ):
            raise Http404(_("Такого объекта нет."))
        return contenttype_views.shortcut(request, content_type_id, object_id)

    def each_context(self, request):
        context = super().each_context(request)
        context["site_header"] = request.tenant.short_name if request.tenant else _("Платформа")
        return context

    def login(self, request, extra_context=None):
        # Per client every try counts; per login only failures, and many of them: a stranger
        # must not lock a named staff member out (the TOTP code and django-otp's own
        # throttle guard the account itself).
        # Per login a try is counted before it is made and forgiven when it succeeds, so
        # tries sent at once cannot get past the limit (portal.ratelimits.reserve_failure).
        if refused := limited(request, "admin-login-ip", rate=services.ADMIN_LOGINS_PER_MINUTE):
            return render(request, "admin/portal_login_limited.html", {"uncountable": refused.uncountable}, status=429)
        reservation = None
        if request.method == "POST":
            reservation = reserve_failure(request, "admin-login-user", rate=services.ADMIN_LOGIN_FAILURES_PER_LOGIN,
                                          key=by_field("username"))
            if reservation.refused:
                return render(request, "admin/portal_login_limited.html", {"uncountable": reservation.uncountable},
                              status=429)
        response = super().login(request, extra_context)
        if reservation is not None and response.status_code == 302:
            reservation.forgive()
        return response
