"""A contact as a person types it: a phone or an e-mail, in one normal form."""

from dataclasses import dataclass
from enum import StrEnum

from django import forms

from portal.phones import looks_like_phone, mask_phone, normalize_phone

from .models import normalize_email


class ContactKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"


@dataclass(frozen=True)
class Contact:
    kind: ContactKind
    value: str  # +7XXXXXXXXXX, or a lower-case e-mail

    @classmethod
    def parse(cls, raw):
        """What a user typed as a login or contact. Raises ValidationError for a value that
        is meant as a phone and is not one, or is not an e-mail address."""
        if looks_like_phone(raw):
            return cls(ContactKind.PHONE, normalize_phone(raw))
        value = normalize_email(raw)
        forms.EmailField().clean(value)
        return cls(ContactKind.EMAIL, value)

    @classmethod
    def email(cls, value):
        return cls(ContactKind.EMAIL, value)

    @classmethod
    def phone(cls, value):
        return cls(ContactKind.PHONE, value)

    @property
    def is_phone(self):
        return self.kind == ContactKind.PHONE

    @property
    def channel(self):
        """The Confirmation channel a code for this contact goes by."""
        return "sms" if self.is_phone else "email"

    def as_fields(self):
        """{"email": …, "phone": …} for a user with only this contact."""
        return {"email": "" if self.is_phone else self.value, "phone": self.value if self.is_phone else ""}

    def is_held_by(self, user):
        return user.phone == self.value if self.is_phone else (user.email or "").lower() == self.value


def masked_email(email):
    """ivan.petrov@example.ru → i***@e***.ru: enough for its owner to recognise, not to write to."""
    local, _at, domain = email.partition("@")
    name, dot, zone = domain.rpartition(".")
    if not name:
        return f"{local[:1]}***@{domain[:1]}***"
    return f"{local[:1]}***@{name[:1]}***{dot}{zone}"


def masked_person(user, *, staff=False):
    """Who acted on an account, as its other users see them: a masked e-mail or phone, or the
    utility's staff. Never the name, the full contact or the login."""
    from django.utils.translation import gettext as _

    if staff:
        return _("сотрудник")
    if user is None:
        return _("другой пользователь")
    if user.email:
        return masked_email(user.email)
    if user.phone:
        return mask_phone(user.phone)
    return _("другой пользователь")
