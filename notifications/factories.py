"""Rows of this app, for tests that need some (the admin's isolation walk)."""


def notification_rows(user):
    """A subscription of ``user`` and a notice sent to them."""
    import uuid

    from .models import Notification, Subscription

    subscription = Subscription._base_manager.create(tenant=user.tenant, user=user)
    notification = Notification._base_manager.create(
        tenant=user.tenant, user=user, kind=Notification.Kind.NEW_INVOICE, key="1", channels="email", run=uuid.uuid4())
    return {"subscription": subscription, "notification": notification}
