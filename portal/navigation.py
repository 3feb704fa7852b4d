"""The top menu: one list for every page, so every page shows the same one, assembled from
the entries the apps declare (``MENU`` in an app's ``shell.py``, portal.pages)."""

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from .pages import app_shell_modules


@dataclass(frozen=True)
class MenuEntry:
    """An app's entry in the top menu. ``position`` orders the entries of all apps;
    ``signed_in`` shows it to signed-in users only (True), to visitors only (False), or to
    everyone (None)."""

    position: int
    url_name: str
    label: str  # lazy: translated when shown
    signed_in: bool | None = None
    # The pages this entry leads to besides its own URL (marked current there too): «Оплата»
    # leads to the current account's pay page, «Профиль» holds «Мои подписки».
    also: tuple = ()
    # Shown only where the tenant's customers have personal accounts (TenantPolicy.has_accounts;
    # not a grid company's applicants): paying, readings, invoices.
    accounts_only: bool = False


@dataclass(frozen=True)
class MenuItem:
    label: str
    url: str
    url_name: str
    current_names: tuple = ()  # the URL names on which this item is the current page


def main_menu(request):
    if request.tenant is None:
        return []
    signed_in = request.user.is_authenticated
    # Only a signed-in customer's entries depend on it: a visitor's menu asks nothing.
    has_accounts = signed_in and request.tenant.policy.has_accounts
    return list(_menu(signed_in, has_accounts, get_urlconf(settings.ROOT_URLCONF), get_script_prefix()))


def menu_entries():
    """Every app's entries, in menu order."""
    entries = [entry for module in app_shell_modules() for entry in getattr(module, "MENU", ())]
    return sorted(entries, key=lambda entry: entry.position)


@lru_cache(maxsize=64)
def _menu(signed_in, has_accounts, urlconf, script_prefix):
    """The menu's items, reversed once per process and URL configuration rather than on
    every request (the labels stay lazy, translated when shown)."""
    return tuple(
        MenuItem(label=entry.label, url=reverse(entry.url_name, urlconf=urlconf), url_name=entry.url_name,
                 current_names=(entry.url_name, *entry.also))
        for entry in menu_entries()
        if entry.signed_in in (None, signed_in) and (has_accounts or not entry.accounts_only)
    )
