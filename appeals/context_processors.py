from django.utils.functional import SimpleLazyObject

from portal.pages import signed_in_customer


def unread_appeals(request):
    """The menu's counter of answered appeals the signed-in customer has not read: asked only
    when a page shows the menu (the admin's pages never do), from the cache."""
    user = signed_in_customer(request)
    if user is None:
        return {}
    from .services import unread_count

    return {"appeals_unread": SimpleLazyObject(lambda: unread_count(user))}
