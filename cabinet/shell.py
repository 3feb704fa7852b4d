"""What the cabinet puts into the page shell (portal.pages): the signed-in customer's menu
entries for the monthly routine. The menu follows what people do here (issue 24): the home,
paying, readings, invoices (appeals and the profile are their apps'); one entry per page, and
«Оплата», «Показания» and «Счета» lead to the current account's page (cabinet.views.current)."""

from django.utils.translation import gettext_lazy as _

from portal.navigation import MenuEntry

MENU = (
    MenuEntry(11, "cabinet:overview", _("Главная"), signed_in=True),
    MenuEntry(12, "cabinet:pay", _("Оплата"), signed_in=True, accounts_only=True,
              also=("payments:pay", "payments:confirm", "payments:status", "payments:history")),
    MenuEntry(13, "cabinet:readings", _("Показания"), signed_in=True, accounts_only=True,
              also=("meters:readings", "meters:meter")),
    MenuEntry(14, "cabinet:invoices", _("Счета"), signed_in=True, accounts_only=True,
              also=("billing:invoices", "billing:history")),
)
