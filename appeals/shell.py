"""What appeals puts into the page shell (portal.pages): its menu entry (the base layout
shows the unread answers' counter beside it, appeals.context_processors)."""

from django.utils.translation import gettext_lazy as _

from portal.navigation import MenuEntry

MENU = (MenuEntry(15, "appeals:list", _("Обращения"), signed_in=True),)
