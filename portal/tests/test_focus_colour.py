"""The focus ring's colour (WCAG 1.4.11: 3:1 against the page): the tenant's accent where it
has that contrast, else its primary colour, else the platform's default."""

from portal.context_processors import DEFAULT_FOCUS_COLOUR, PAGE_BACKGROUNDS, contrast, focus_colour
from portal.models import Tenant


def tenant(accent, primary="#1d4f91"):
    return Tenant(slug="t", name="T", short_name="T", kind="grid", accent_colour=accent, primary_colour=primary)


def test_contrast_is_wcags():
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#777777", "#ffffff"), 2) == 4.48
    assert contrast("#123456", "#123456") == 1


def test_a_dark_enough_accent_is_kept():
    assert focus_colour(tenant("#8a4b00")) == "#8a4b00"


def test_a_light_accent_falls_back_to_the_primary_colour():
    for accent in ("#ffb81c", "#00a3e0", "#f5a623", "#d4a017"):  # the demo tenants': 1.6 to 2.7:1
        assert focus_colour(tenant(accent)) == "#1d4f91"


def test_without_a_usable_colour_the_default_is_used():
    assert focus_colour(tenant("#ffffff", primary="#eeeeee")) == DEFAULT_FOCUS_COLOUR
    assert focus_colour(tenant("bad", primary="")) == DEFAULT_FOCUS_COLOUR
    assert focus_colour(None) == DEFAULT_FOCUS_COLOUR
    assert min(contrast(DEFAULT_FOCUS_COLOUR, background) for background in PAGE_BACKGROUNDS) >= 3
