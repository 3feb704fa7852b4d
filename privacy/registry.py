"""The contract between the privacy app and the apps that hold a person's data.

An installed app may have a module ``<app>/privacy.py`` with two functions:

- ``export_user_data(user) -> dict[str, list[dict]]``: section name → rows, each row a dict
  of plain values (str, int, bool, None, and Decimal, date or datetime, which the export
  writes as text: decimals as written, dates in ISO 8601, times in the tenant's zone). Only
  the user's own rows; nothing that basic access to an account hides. Section names are
  unique across apps (they name the CSV files).
- ``erase_user_data(user)``: remove or detach what the app holds of the user. It runs
  inside the erasure's transaction, in the tenant's scope, before the user row is
  anonymised (the user still has its key, e-mail and phone).

The privacy app finds the modules through the app registry, in INSTALLED_APPS order, as
portal.demo finds the apps' demo modules: nothing here names an app.
"""

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured


def privacy_modules():
    """Each installed app's privacy module, in INSTALLED_APPS order."""
    modules = []
    for config in apps.get_app_configs():
        name = f"{config.name}.privacy"
        if find_spec(name) is not None:
            modules.append(import_module(name))
    return modules


def export_sections(user):
    """Every app's sections of the user's data, in app order: {section: rows}."""
    sections = {}
    for module in privacy_modules():
        export = getattr(module, "export_user_data", None)
        if export is None:
            continue
        for name, rows in export(user).items():
            if name in sections:
                raise ImproperlyConfigured(f"{module.__name__} exports a section {name!r} another app exports too")
            sections[name] = list(rows)
    return sections


def erase_everywhere(user):
    for module in privacy_modules():
        erase = getattr(module, "erase_user_data", None)
        if erase is not None:
            erase(user)
