"""Russian phone numbers, as users type them, to one form: +7XXXXXXXXXX."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

INVALID_PHONE = _("Укажите номер мобильного телефона, например +7 900 123-45-67.")


def normalize_phone(raw):
    """'+7 (900) 123-45-67', '8 900 1234567', '9001234567' → '+79001234567'."""
    if len(raw) > 32:
        raise ValidationError(INVALID_PHONE, code="invalid_phone")
    digits = re.sub(r"[\s()\-.]", "", raw.strip())
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("8") and len(digits) == 11:
        digits = "7" + digits[1:]
    elif len(digits) == 10:
        digits = "7" + digits
    if not re.fullmatch(r"7\d{10}", digits):
        raise ValidationError(INVALID_PHONE, code="invalid_phone")
    return "+" + digits


def looks_like_phone(value):
    return bool(value) and "@" not in value and bool(re.fullmatch(r"[\d\s()+\-.]{10,32}", value.strip()))


def mask_phone(phone):
    """+79001234567 → +7 900 ***-**-67, for showing where a code went."""
    return f"{phone[:2]} {phone[2:5]} ***-**-{phone[-2:]}" if len(phone) == 12 else phone
