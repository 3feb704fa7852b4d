from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Уведомления")

    def ready(self):
        from portal.exchange.signals import billing_data_changed

        from .tasks import on_billing_data_changed

        billing_data_changed.connect(on_billing_data_changed, dispatch_uid="notifications.new_invoices")
