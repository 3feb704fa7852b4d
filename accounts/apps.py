from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Пользователи")

    def ready(self):
        scope_allauth_email_addresses()


def scope_allauth_email_addresses():
    """allauth looks users up by e-mail through EmailAddress.objects, across all users
    (shared/notes/allauth-tenancy.md, 4). Give it a tenant-scoped default manager: a second
    manager named ``objects`` would be silently ignored, so the old one is dropped from
    _meta and the cached manager map expired."""
    from allauth.account.managers import EmailAddressManager
    from allauth.account.models import EmailAddress

    from portal.scoping import tenant_scoped_manager

    if getattr(EmailAddress.objects, "is_tenant_scoped", False):
        return
    meta = EmailAddress._meta
    meta.local_managers = [m for m in meta.local_managers if m.name != "objects"]
    manager = tenant_scoped_manager("user__tenant", base=EmailAddressManager)()
    manager.is_tenant_scoped = True
    EmailAddress.add_to_class("objects", manager)
    meta._expire_cache()
