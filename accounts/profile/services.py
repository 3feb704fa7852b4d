"""«Мой профиль»: the person's name, and a new phone or e-mail proven before it is used.

A new phone gets an SMS code (``Confirmation.Purpose.CHANGE_PHONE``), a new e-mail a link
(``CHANGE_EMAIL``); both go through accounts.confirmations, the rules registration uses:
hashed, single use, the policy's lifetimes, tries, resend cooldown and the contact's hourly
budget. Only a proven contact is written to the user, and the contact it replaces is told.

A contact that is another user's of the same tenant is answered like a free one, as signup
does: its owner is told by that contact instead of getting a code or link, and the person
changing sees the same "we sent …" page, whose code (a confirmation whose code was never
sent, ``confirmations.issue(code_sent=False)``) refuses every try with a real code's words.
Uniqueness is checked again when the contact is applied (two people may prove one free
number at once): then nothing is saved and the person is told.

Where the login is the contact (e-mail, or phone or e-mail), the login follows it: the
username of such a user is the contact registration used, so it moves with it (otherwise
a later signup with the old contact would collide with it). A generated contract login
(rgmek) never changes.
"""

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.hosts import tenant_base_url
from portal.phones import mask_phone

from .. import confirmations, messages
from ..models import Confirmation, User

CHANGE_PHONE = Confirmation.Purpose.CHANGE_PHONE
CHANGE_EMAIL = Confirmation.Purpose.CHANGE_EMAIL
class ContactTaken(confirmations.ConfirmationError):
    """The proven contact became another user's meanwhile: nothing was saved."""


PHONE_TAKEN = _("Этот номер уже указан в другом личном кабинете. Изменение не сохранено.")
EMAIL_TAKEN = _("Этот e-mail уже указан в другом личном кабинете. Изменение не сохранено.")


def names_update(*, user, last_name, first_name, middle_name):
    user.last_name, user.first_name, user.middle_name = last_name, first_name, middle_name
    user.save(update_fields=["last_name", "first_name", "middle_name"])


def pending_change(*, user, purpose):
    """The user's live change of a contact (its code or link not yet used nor replaced), or None."""
    return (
        Confirmation.objects.filter(user=user, purpose=purpose, used_at__isnull=True, superseded=False)
        .order_by("-created_at")
        .first()
    )


def _held_by_another(user, **contact):
    return User.objects.filter(**contact).exclude(pk=user.pk).exists()


# Phone


@transaction.atomic
def phone_change_start(*, user, phone, enforce_cooldown=True):
    """Send a code to the new ``phone`` (already normalised), or, when it is another user's,
    a notice to it and a code nobody has. Raises ResendTooSoon, TooManyMessages."""
    tenant = user.tenant
    free = not _held_by_another(user, phone=phone)
    issued = confirmations.issue(user=user, purpose=CHANGE_PHONE, channel="sms", destination=phone,
                                 enforce_cooldown=enforce_cooldown, payload={"phone": phone}, code_sent=free)
    if free:
        messages.send_sms(tenant=tenant, to=phone, template="change_phone_code", code=issued.code, user=user,
                          valid_until=issued.valid_until,
                          minutes=tenant.policy.code_ttl_minutes)
    else:
        messages.send_sms(tenant=tenant, to=phone, template="contact_taken")
    return issued.confirmation


def phone_change_resend(*, user):
    """«Отправить ещё раз» on the code page: the same new phone, after the cooldown."""
    pending = pending_change(user=user, purpose=CHANGE_PHONE)
    if pending is None:
        raise confirmations.ConfirmationError(confirmations.CODE_INVALID, needs_new_code=True)
    return phone_change_start(user=user, phone=pending.payload["phone"])


def phone_change_confirm(*, user, code):
    """Write the new phone once its code is proven. Raises ConfirmationError (a wrong code,
    counted; or the number taken meanwhile: nothing saved, the code stays live).

    Not one transaction: a wrong code must stay counted (as in registration)."""

    def apply(confirmation):
        _apply_contact(user, field="phone", value=confirmation.payload["phone"], taken=PHONE_TAKEN)

    confirmations.check_code(user=user, purpose=CHANGE_PHONE, code=code, before_use=apply)
    return user


# E-mail


@transaction.atomic
def email_change_start(*, user, email, enforce_cooldown=True):
    """Mail a link to the new ``email`` (lower case), or, when it is another user's, a notice
    to it (the key then exists only as a hash). Raises ResendTooSoon, TooManyMessages."""
    tenant = user.tenant
    free = not _held_by_another(user, email=email)
    issued = confirmations.issue(user=user, purpose=CHANGE_EMAIL, channel="email", destination=email,
                                 with_code=False, with_key=True, enforce_cooldown=enforce_cooldown,
                                 payload={"email": email})
    if free:
        url = tenant_base_url(tenant) + reverse("accounts:profile_email_confirm", args=[issued.key])
        deadline = timezone.localtime(issued.confirmation.key_expires_at).strftime("%d.%m.%Y %H:%M")
        messages.send_email(tenant=tenant, to=email, template="change_email", url=url, deadline=deadline, user=user,
                            valid_until=issued.valid_until)
    else:
        messages.send_email(tenant=tenant, to=email, template="contact_taken")
    return issued.confirmation


def email_change_link(*, key):
    """The live change a link belongs to (in the request's tenant), for the page that asks
    to confirm it. Raises ConfirmationError."""
    return confirmations.find_by_key(key=key, purposes=[CHANGE_EMAIL])


@transaction.atomic
def email_change_confirm(*, key):
    """Apply the link: the key alone names the user it was issued for (it proves the new
    address; whoever is signed in in this browser does not matter). Single use; a refusal
    (the address taken meanwhile) saves nothing and leaves the link live. Returns the user."""
    confirmation = confirmations.consume_key(key=key, purposes=[CHANGE_EMAIL])
    _apply_contact(confirmation.user, field="email", value=confirmation.payload["email"], taken=EMAIL_TAKEN)
    return confirmation.user


# Both


def _apply_contact(user, *, field, value, taken):
    """Write the proven contact, its login too where the login is that contact; supersede
    what is still live at the old contact; tell the old contact. Raises ConfirmationError
    (ContactTaken) when the contact is another user's by now."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    old = getattr(locked, field)
    if _held_by_another(locked, **{field: value}):
        raise ContactTaken(taken)
    setattr(locked, field, value)
    setattr(locked, f"{field}_verified", True)
    changed = [field, f"{field}_verified"]
    if old and locked.username == old and not locked.login_is_generated:
        locked.username = value
        changed.append("username")
    try:
        with transaction.atomic():
            locked.save(update_fields=changed)
    except IntegrityError:
        # A parallel confirmation of the same contact committed between the check and the save.
        raise ContactTaken(taken) from None
    if old:
        # A code or link still on its way to the old contact (a password reset) dies with it.
        Confirmation.objects.filter(user=locked, destination=old, used_at__isnull=True, superseded=False).update(
            superseded=True)
    _tell_old_contact(locked, field=field, old=old)
    for name in changed:
        setattr(user, name, getattr(locked, name))


def _tell_old_contact(user, *, field, old):
    """The contact that was replaced hears of it (where there was none, the other contact).

    Not counted against the contact's hourly budget: one notice per completed change, and
    each change needed a code or link to a budgeted destination; a spent budget must not
    hide a change from its owner."""
    tenant = user.tenant
    if field == "phone":
        context = {"template": "phone_changed", "new": mask_phone(user.phone)}
        sms_to, email_to = (old, "") if old else ("", user.email)
    else:
        context = {"template": "email_changed"}
        sms_to, email_to = ("", old) if old else (user.phone, "")
    if sms_to:
        messages.send_sms(tenant=tenant, to=sms_to, user=user, **context)
    elif email_to:
        messages.send_email(tenant=tenant, to=email_to, user=user, **context)
