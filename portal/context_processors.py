from .navigation import main_menu


def tenant(request):
    """The tenant (branding, support contacts) and the menu, for the base layout."""
    current = getattr(request, "tenant", None)
    return {
        "tenant": current,
        "main_menu": main_menu(request) if hasattr(request, "user") else [],
        "current_url_name": request.resolver_match.view_name if getattr(request, "resolver_match", None) else "",
    }
