from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Расчёты")

    def ready(self):
        from . import fragments

        fragments.watch_changes()  # an import stales the tenant's cached page fragments
