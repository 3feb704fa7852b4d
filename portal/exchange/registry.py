"""The file kinds the installed apps declare, found through the app registry (as portal.demo
finds the apps' demo modules and privacy the apps' privacy modules): nothing here names an
app. See portal/exchange/__init__.py for what an app's ``exchange`` module declares."""

import functools
from dataclasses import dataclass
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from . import values


@dataclass(frozen=True)
class Registry:
    kinds: dict  # name -> Kind, in the order files are applied
    reasons: dict  # code -> (English, Russian)
    portal_files: tuple  # how the names of the portal's own exports start


def exchange_modules():
    """Each installed app's exchange module, in INSTALLED_APPS order (the engine's own
    package, portal.exchange, is not one)."""
    modules = []
    for config in apps.get_app_configs():
        name = f"{config.name}.exchange"
        if name != __package__ and find_spec(name) is not None:
            modules.append(import_module(name))
    return modules


def build(modules):
    """The registry of ``modules``: their kinds in the order they apply (each app's in its
    declared order; a kind with ``after`` right after that kind), their reasons and the
    portal's export files."""
    order, reasons, portal_files = [], dict(values.REASONS), []
    for module in modules:
        previous = None
        for kind in getattr(module, "IMPORTS", ()):
            if kind.name in (other.name for other in order):
                raise ImproperlyConfigured(f"{module.__name__} declares the kind {kind.name!r} another app declares")
            anchor = kind.after or previous
            if anchor is None:
                order.append(kind)
            else:
                names = [other.name for other in order]
                if anchor not in names:
                    raise ImproperlyConfigured(f"{module.__name__}: {kind.name!r} comes after {anchor!r}, "
                                               "which no app before it declares")
                order.insert(names.index(anchor) + 1, kind)
            previous = kind.name
        for code, texts in getattr(module, "REASONS", {}).items():
            if code in reasons:
                raise ImproperlyConfigured(f"{module.__name__} gives the reason {code!r} again")
            reasons[code] = texts
        portal_files += getattr(module, "PORTAL_FILES", ())
    return Registry(kinds={kind.name: kind for kind in order}, reasons=reasons, portal_files=tuple(portal_files))


@functools.cache
def registry():
    return build(exchange_modules())


def kinds():
    """{name: Kind} of every installed app, in the order files are applied."""
    return registry().kinds


def kind_names():
    return tuple(registry().kinds)


def reason_text(code, *, column="", value="", detail="", language="en"):
    english, russian = registry().reasons[code]
    template = english if language == "en" else russian
    return template.format(column=column, value=value, detail=detail)
