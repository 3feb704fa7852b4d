from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    default = True

    name = "portal"
    verbose_name = _("Платформа")

    def ready(self):
        from . import versions

        # Every app's cache invalidations, declared in its versions.py (portal.versions).
        versions.install()


class PortalAdminConfig(admin_apps.AdminConfig):
    """Django's admin with our site (portal.admin_site.PortalAdminSite): tenant-aware access."""

    default = False
    default_site = "portal.admin_site.PortalAdminSite"
