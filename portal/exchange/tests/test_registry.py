"""The apps' exchange modules, found through the app registry: the order their kinds apply
in, their reasons, and what an app gets wrong when it declares them."""

from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.exchange import registry
from portal.exchange.kinds import Kind


def kind(name, after=""):
    return Kind(name=name, columns=[], resolve_sql="", target=f"t_{name}", key=(), values=(), after=after)


def module(name, *kinds, reasons=None, portal_files=()):
    return SimpleNamespace(__name__=f"{name}.exchange", IMPORTS=list(kinds), REASONS=reasons or {},
                           PORTAL_FILES=portal_files)


def test_the_installed_apps_apply_their_files_in_the_documented_order():
    # docs/billing.md: counterparties, contracts, accounts, meters, readings, charges, payments.
    assert registry.kind_names() == ("counterparties", "contracts", "accounts", "meters", "readings", "charges",
                                     "payments")
    assert [module.__name__ for module in registry.exchange_modules()] == ["billing.exchange", "meters.exchange"]
    assert registry.registry().portal_files == ("readings_export", "payments_export")


def test_a_kind_goes_right_after_the_kind_it_names_and_the_rest_of_its_app_after_it():
    first = module("first", kind("a"), kind("b"), kind("c"))
    second = module("second", kind("x", after="a"), kind("y"), kind("z", after="c"))
    assert list(registry.build([first, second]).kinds) == ["a", "x", "y", "b", "c", "z"]


def test_reasons_are_the_engines_and_every_apps():
    built = registry.build([module("first", reasons={"gone": ("gone {value}", "нет {value}")})])
    assert built.reasons["gone"] == ("gone {value}", "нет {value}")
    assert built.reasons["superseded"][0] == "superseded by line {detail} (same key)"


@pytest.mark.parametrize("modules, problem", [
    ([module("first", kind("a")), module("second", kind("a"))], "second.exchange declares the kind 'a'"),
    ([module("first", kind("b", after="a")), module("second", kind("a"))], "'b' comes after 'a'"),
    ([module("first", reasons={"required": ("x", "y")})], "first.exchange gives the reason 'required' again"),
])
def test_a_kind_or_reason_declared_twice_or_after_nothing_is_refused(modules, problem):
    with pytest.raises(ImproperlyConfigured, match=problem):
        registry.build(modules)
