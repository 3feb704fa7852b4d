"""Russian mobile numbers, as users type them, to one form: +7XXXXXXXXXX in ASCII digits.

Every phone input (signup, login, recovery, staff registration, the admin, billing's contract
contacts) goes through ``normalize_phone``. libphonenumber's rules (the ``phonenumbers``
package) parse the number: they know Russian prefixes and fold full-width or Arabic-Indic
digits to ASCII, so «+7９００…» and «+79…» are one number, not two.
"""

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

INVALID_PHONE = _("Укажите номер мобильного телефона, например +7 900 123-45-67.")
MAX_TYPED_LENGTH = 32
PHONE_PUNCTUATION = " ()+-."
_MOBILE = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalize_phone(raw):
    """'+7 (900) 123-45-67', '8 900 1234567', '9001234567' → '+79001234567'.

    Raises ValidationError for anything that is not one Russian mobile number (a landline
    cannot receive codes; another country's number is not served here).
    """
    raw = (raw or "").strip()
    if not raw or len(raw) > MAX_TYPED_LENGTH or not looks_like_phone(raw):
        # libphonenumber would also read "/", "[ ]", "tel:" or invisible characters; taking
        # only what looks_like_phone takes keeps every check that keys on a phone agreeing.
        raise ValidationError(INVALID_PHONE, code="invalid_phone")
    try:
        number = phonenumbers.parse(raw, "RU")
    except phonenumbers.NumberParseException:
        raise ValidationError(INVALID_PHONE, code="invalid_phone") from None
    if (
        number.extension
        or phonenumbers.region_code_for_number(number) != "RU"
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) not in _MOBILE
    ):
        raise ValidationError(INVALID_PHONE, code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def looks_like_phone(value):
    """Whether a typed login is meant as a phone (then ``normalize_phone`` decides if it is one):
    digits of any script with a phone's punctuation only (PHONE_PUNCTUATION). «+7 900 12» is
    an incomplete phone, not a bad e-mail."""
    value = (value or "").strip()
    if not value or len(value) > MAX_TYPED_LENGTH:
        return False
    return any(char.isdigit() for char in value) and all(char.isdigit() or char in PHONE_PUNCTUATION for char in value)


def mask_phone(phone):
    """+79001234567 → +7 900 ***-**-67, for showing where a code went."""
    return f"{phone[:2]} {phone[2:5]} ***-**-{phone[-2:]}" if len(phone) == 12 else phone
