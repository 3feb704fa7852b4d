"""Rows of this app, for tests that need some: subscribers of notices, and every model's row
(the admin's isolation walk)."""

from accounts.factories import UserFactory
from billing.factories import AccountLinkFactory
from billing.models import Account
from meters.models import Meter


def create(model, tenant, **fields):
    return model._base_manager.create(tenant=tenant, **fields)


def subscriber(supplier, number, *, access="full", email="", phone="", meter=True, verified=True, user=None):
    """A user of ``supplier``'s tenant linked to a new account ``number`` (with a meter in
    service unless told otherwise); e-mail and phone confirmed unless ``verified`` is False."""
    tenant = supplier.tenant
    account = create(Account, tenant, supplier=supplier, number=number,
                     subscriber_type=Account.SubscriberType.INDIVIDUAL, holder_name=f"Владелец {number}")
    if meter:
        create(Meter, tenant, account=account, serial=f"M-{number}", service="electricity")
    if user is None:
        user = UserFactory(tenant=tenant, email=email, phone=phone, username=email or phone or number,
                           email_verified=verified and bool(email), phone_verified=verified and bool(phone))
    link = AccountLinkFactory(user=user, account=account, access=access)
    return link


def notification_rows(user):
    """A subscription of ``user`` and a notice sent to them."""
    import uuid

    from .models import Notification, Subscription

    subscription = Subscription._base_manager.create(tenant=user.tenant, user=user)
    notification = Notification._base_manager.create(
        tenant=user.tenant, user=user, kind=Notification.Kind.NEW_INVOICE, key="1", channels="email", run=uuid.uuid4())
    return {"subscription": subscription, "notification": notification}
