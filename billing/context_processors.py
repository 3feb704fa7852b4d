"""The header's account switch, on every page of a signed-in consumer with several accounts."""

from django.utils.functional import SimpleLazyObject

from portal.pages import signed_in_customer

from .access import current_link, links_of_request


def account_switch(request):
    if signed_in_customer(request) is None:
        return {}

    def switch():
        links = links_of_request(request)
        return {"links": links, "current": current_link(request, links)} if len(links) > 1 else None

    return {"account_switch": SimpleLazyObject(switch)}
