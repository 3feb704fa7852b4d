"""What the kernel puts into the page shell (portal.pages): its own menu entries."""

from django.utils.translation import gettext_lazy as _

from .navigation import MenuEntry

MENU = (
    MenuEntry(10, "portal:home", _("Главная")),
    MenuEntry(20, "portal:support", _("Поддержка")),
)
