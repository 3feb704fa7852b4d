from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Расчёты")

    def ready(self):
        from portal.exchange.signals import billing_data_changed

        from . import links

        # An import of the registry ends the links whose contract it moved or terminated.
        billing_data_changed.connect(links.on_billing_data_changed, dispatch_uid="billing.links.contracts")
