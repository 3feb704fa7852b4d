from functools import lru_cache

from django.utils.functional import SimpleLazyObject

from .models import contrast_with_white
from .navigation import main_menu
from .page_cache import csrf_token

# The page and card backgrounds of static/css/portal.css, against which a focus ring shows.
PAGE_BACKGROUNDS = ("#f6f7f9", "#ffffff")
# WCAG 2.2, 1.4.11 (non-text contrast): a focus indicator needs 3:1 against what is around it.
FOCUS_MIN_CONTRAST = 3.0
DEFAULT_FOCUS_COLOUR = "#0b5394"  # portal.css's default --brand: 7.3:1 on white


def relative_luminance(colour):
    """WCAG 2 relative luminance of #rrggbb, recovered from contrast_with_white()."""
    return 1.05 / contrast_with_white(colour) - 0.05


def contrast(first, second):
    """WCAG 2 contrast ratio of two #rrggbb colours: 1 to 21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def focus_colour(tenant):
    """The focus ring's colour: the tenant's accent where it stands out from the page (3:1),
    else its primary colour, which the tenant's own check keeps dark (4.5:1 against white)."""
    if tenant is None:
        return DEFAULT_FOCUS_COLOUR
    return _focus_colour(tenant.accent_colour, tenant.primary_colour)


@lru_cache(maxsize=256)
def _focus_colour(*colours):
    for colour in colours:
        try:
            if min(contrast(colour, background) for background in PAGE_BACKGROUNDS) >= FOCUS_MIN_CONTRAST:
                return colour
        except (TypeError, ValueError, IndexError):  # not #rrggbb: the validators let none in
            continue
    return DEFAULT_FOCUS_COLOUR


def csrf(request):
    """{{ csrf_token }} as Django's own processor gives it (which this one, listed after it,
    replaces), but the one masked token of the request's page (page_cache.csrf_token)."""
    return {"csrf_token": SimpleLazyObject(lambda: csrf_token(request))}


def tenant(request):
    """The tenant (branding, support contacts) and the menu, for the base layout."""
    current = getattr(request, "tenant", None)
    return {
        "tenant": current,
        "focus_colour": focus_colour(current),
        "main_menu": main_menu(request) if hasattr(request, "user") else [],
        "current_url_name": request.resolver_match.view_name if getattr(request, "resolver_match", None) else "",
    }
