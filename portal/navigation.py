"""The top menu: one list, built per request, so every page shows the same one."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class MenuItem:
    label: str
    url: str
    url_name: str


def main_menu(request):
    if request.tenant is None:
        return []
    names = [("portal:home", _("Главная")), ("portal:support", _("Поддержка"))]
    if not request.user.is_authenticated:
        names += [("account_login", _("Вход")), ("accounts:signup", _("Регистрация"))]
    else:
        names += [("billing:overview", _("Лицевые счета")), ("appeals:list", _("Обращения")),
                  ("notifications:subscriptions", _("Мои подписки")),
                  ("accounts:profile", _("Профиль"))]
    return [MenuItem(label=label, url=reverse(name), url_name=name) for name, label in names]
