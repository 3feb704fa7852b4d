"""What notifications puts into the page shell (portal.pages): its menu entry."""

from django.utils.translation import gettext_lazy as _

from portal.navigation import MenuEntry

MENU = (MenuEntry(70, "notifications:subscriptions", _("Мои подписки"), signed_in=True),)
