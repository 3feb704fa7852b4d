def unread_appeals(request):
    """The menu's counter of answered appeals the signed-in customer has not read."""
    user = getattr(request, "user", None)
    if request.tenant is None or user is None or not user.is_authenticated:
        return {}
    from .services import unread_count

    return {"appeals_unread": unread_count(user)}
