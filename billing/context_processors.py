"""The header's account switch, on every page of a signed-in consumer with several accounts."""

from django.utils.functional import SimpleLazyObject

from .access import current_link, links_of_request


def account_switch(request):
    user = getattr(request, "user", None)
    if getattr(request, "tenant", None) is None or user is None or not user.is_authenticated or user.is_staff:
        return {}

    def switch():
        links = links_of_request(request)
        return {"links": links, "current": current_link(request, links)} if len(links) > 1 else None

    return {"account_switch": SimpleLazyObject(switch)}
