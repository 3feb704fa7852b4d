"""What the cabinet puts into the page shell (portal.pages): its menu entry."""

from django.utils.translation import gettext_lazy as _

from portal.navigation import MenuEntry

MENU = (MenuEntry(50, "cabinet:overview", _("Лицевые счета"), signed_in=True),)
