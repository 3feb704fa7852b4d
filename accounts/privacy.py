"""The user's own data in accounts, for the privacy app (privacy/registry.py explains the
contract): the profile and the consents given, and what erasure removes here.

The user row itself is anonymised by the privacy app after every app has erased its part
(privacy.services.user_erase), so that the other apps still find the user by its key."""

from django.db.models import Q
from django.utils import timezone

from .models import ConsentAcceptance, Confirmation


def export_user_data(user):
    consents = (ConsentAcceptance.objects.filter(user=user).select_related("document")
                .order_by("accepted_at", "pk"))
    return {
        "profile": [{
            "last_name": user.last_name,
            "first_name": user.first_name,
            "middle_name": user.middle_name,
            "login": user.username,
            "email": user.email,
            "email_verified": user.email_verified,
            "phone": user.phone,
            "phone_verified": user.phone_verified,
            "registered_at": user.date_joined,
            "last_login": user.last_login,
        }],
        "consents": [{
            "document": consent.document.get_kind_display(),
            "document_kind": consent.document.kind,
            "document_title": consent.document.title,
            "document_version": consent.document.version,
            "accepted_at": consent.accepted_at,
            "ip_address": consent.ip_address,
            "user_agent": consent.user_agent,
            "withdrawn_at": consent.withdrawn_at,
        } for consent in consents],
    }


def erase_user_data(user):
    """Consents are withdrawn, not deleted: the record of what was accepted and when it was
    withdrawn stays (152-FZ, art. 9: the operator proves the consent), without the address
    and browser it was given from. Codes and links sent to the user's contacts go, and so do
    the libraries' rows that name the user (allauth's e-mail addresses, second factors)."""
    from allauth.account.models import EmailAddress
    from django_otp.plugins.otp_totp.models import TOTPDevice

    now = timezone.now()
    ConsentAcceptance.objects.filter(user=user, withdrawn_at__isnull=True).update(withdrawn_at=now)
    ConsentAcceptance.objects.filter(user=user).update(ip_address=None, user_agent="")
    Confirmation.objects.filter(user=user).delete()
    # Another user's pending change that named this person's contact (the «taken» path of
    # the profile) carries it too, as its destination and in its payload.
    contacts = [contact for contact in (user.email, user.phone) if contact]
    Confirmation.objects.filter(
        Q(destination__in=contacts) | Q(payload__phone__in=contacts) | Q(payload__email__in=contacts)
    ).delete()
    EmailAddress.objects.filter(user=user).delete()
    TOTPDevice.objects.filter(user=user).delete()
