"""The top menu: one list for every page, so every page shows the same one."""

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class MenuItem:
    label: str
    url: str
    url_name: str


def main_menu(request):
    if request.tenant is None:
        return []
    return list(_menu(request.user.is_authenticated, get_urlconf(settings.ROOT_URLCONF), get_script_prefix()))


@lru_cache(maxsize=64)
def _menu(signed_in, urlconf, script_prefix):
    """The menu's items, reversed once per process and URL configuration rather than on
    every request (six reverse() calls; the labels stay lazy, translated when shown)."""
    names = [("portal:home", _("Главная")), ("portal:support", _("Поддержка"))]
    if not signed_in:
        names += [("account_login", _("Вход")), ("accounts:signup", _("Регистрация"))]
    else:
        names += [("billing:overview", _("Лицевые счета")), ("appeals:list", _("Обращения")),
                  ("notifications:subscriptions", _("Мои подписки")),
                  ("accounts:profile", _("Профиль"))]
    return tuple(MenuItem(label=label, url=reverse(name, urlconf=urlconf), url_name=name) for name, label in names)
