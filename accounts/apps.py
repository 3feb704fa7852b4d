from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Пользователи")

    def ready(self):
        scope_library_models()



def scope_library_models():
    """Libraries' models that reach a tenant through the user get tenant-scoped default
    managers like ours: allauth looks users up by e-mail through EmailAddress.objects,
    across all users (shared/notes/allauth-tenancy.md, 4); django-otp's devices belong to
    a tenant's staff. (The admin's LogEntry keeps its manager: it is part of the admin's
    migration state, and the admin reads it only after finding the object in its scope.)"""
    from allauth.account.models import EmailAddress, EmailConfirmation
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from portal.scoping import scope_default_manager

    scope_default_manager(EmailAddress, "user__tenant")
    scope_default_manager(EmailConfirmation, "email_address__user__tenant")
    scope_default_manager(TOTPDevice, "user__tenant")
