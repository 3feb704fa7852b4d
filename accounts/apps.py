from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Пользователи")

    def ready(self):
        scope_library_models()
        watch_consent_documents()
        watch_session_users()


def watch_session_users():
    """Sessions' users come from the cache (backends.session_user_changed drops them)."""
    from django.db.models.signals import post_delete, post_save

    from .backends import session_user_changed
    from .models import User

    post_save.connect(session_user_changed, sender=User, dispatch_uid="accounts.session_user:save")
    post_delete.connect(session_user_changed, sender=User, dispatch_uid="accounts.session_user:delete")


def watch_consent_documents():
    """A change of a tenant's consent documents makes the consent gate ask again."""
    from django.db.models.signals import post_delete, post_save

    from portal.models import ConsentDocument

    from .services import consents_changed

    def changed(sender, instance, **kwargs):
        consents_changed(tenant_id=instance.tenant_id)

    post_save.connect(changed, sender=ConsentDocument, weak=False, dispatch_uid="accounts.consents_changed:save")
    post_delete.connect(changed, sender=ConsentDocument, weak=False, dispatch_uid="accounts.consents_changed:delete")


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
