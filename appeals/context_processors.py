from django.utils.functional import SimpleLazyObject


def unread_appeals(request):
    """The menu's counter of answered appeals the signed-in customer has not read: asked only
    when a page shows the menu (the admin's pages never do), from the cache."""
    user = getattr(request, "user", None)
    if request.tenant is None or user is None or not user.is_authenticated or user.is_staff:
        return {}
    from .services import unread_count

    return {"appeals_unread": SimpleLazyObject(lambda: unread_count(user))}
