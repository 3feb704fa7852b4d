"""allauth, made tenant-aware: users are created in the request's tenant, found by phone
within it, and mail goes out through the portal's delivery (Celery, tenant-tagged)."""

from datetime import timedelta

from allauth.account.adapter import DefaultAccountAdapter
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from portal.services import message_send_email

from . import messages
from .models import User
from portal.phones import normalize_phone
from .messages import notify_user
from .services import normalized_login


class PhoneField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Телефон"))
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        return normalize_phone(value) if value else value


class TenantAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return request.tenant is not None

    def new_user(self, request):
        return User(tenant=request.tenant)

    def is_safe_url(self, url):
        # allauth trusts ALLOWED_HOSTS, which is "*" here (the tenant middleware checks
        # hosts); a redirect may only stay on the host the request came to.
        request = self.request
        return url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure())

    def _get_login_attempts_cache_key(self, request, **credentials):
        # allauth keys failed logins on the raw Host header, so another port, the host in
        # capitals or a tenant's own domain started a fresh count, and every phone login
        # shared one key. The tenant and the login in one spelling are the identity.
        login = credentials.get("phone") or credentials.get("email") or credentials.get("username") or ""
        tenant = getattr(request, "tenant", None)
        return f"{tenant.pk if tenant else '-'}:{normalized_login(login)}"

    def respond_user_inactive(self, request, user):
        # allauth calls this only after the password matched: the "not activated" page may
        # then offer to send this user's activation link again (accounts.views.account_inactive).
        from .views import INACTIVE_USER_SESSION_KEY

        request.session[INACTIVE_USER_SESSION_KEY] = user.pk
        return super().respond_user_inactive(request, user)

    def send_mail(self, template_prefix, email, context):
        # allauth's mails carry a code or a link that signs in or resets: kept only while it
        # is valid (a code: the tenant's code lifetime; a link: Django's reset timeout).
        message = self.render_mail(template_prefix, email, context)
        lifetime = (self.request.tenant.policy.code_ttl_seconds if "code" in context and self.request.tenant
                    else settings.PASSWORD_RESET_TIMEOUT)
        message_send_email(tenant=self.request.tenant, to=email, subject=message.subject, body=message.body,
                           valid_until=timezone.now() + timedelta(seconds=lifetime))

    def phone_form_field(self, **kwargs):
        return PhoneField(**kwargs)

    # Phones live on our User; allauth asks the adapter for them.
    def get_user_by_phone(self, phone):
        try:
            phone = normalize_phone(phone)
        except ValidationError:
            return None
        return User.objects.filter(phone=phone).first()

    def get_phone(self, user):
        return (user.phone, user.phone_verified) if user.phone else None

    def set_phone(self, user, phone, verified):
        user.phone, user.phone_verified = phone, verified
        user.save(update_fields=["phone", "phone_verified"])

    def set_phone_verified(self, user, phone):
        self.set_phone(user, phone, True)

    def send_verification_code_sms(self, user, phone, code, **kwargs):
        messages.send_sms(tenant=user.tenant, to=phone, template="signup_code", code=code,
                          minutes=user.tenant.policy.code_ttl_minutes, user=user,
                          valid_until=timezone.now() + timedelta(seconds=user.tenant.policy.code_ttl_seconds))

    def send_notification_mail(self, template_prefix, user, context=None, email=None):
        # allauth's security notices (of its routed pages only "password changed" can fire)
        # go out in the portal's words and by the user's channel: e-mail, or an SMS for a
        # user who logs in by phone.
        template = "password_changed" if template_prefix.endswith("password_changed") else "login_changed"
        notify_user(user=user, template=template)
