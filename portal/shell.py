"""What the kernel puts into the page shell (portal.pages): its own menu entries. A signed-in
customer's home is an app's (settings.LOGIN_REDIRECT_URL): «Главная» here is the visitors'."""

from django.utils.translation import gettext_lazy as _

from .navigation import MenuEntry

MENU = (
    MenuEntry(10, "portal:home", _("Главная"), signed_in=False),
    MenuEntry(20, "portal:support", _("Поддержка")),
)
