"""Bank details a receipt and a payment QR code carry (ГОСТ Р 56042-2014), validated.

The control key of a Russian bank account (Положение Банка России № 579-П, приложение):
23 digits — for a settlement account the last three digits of the BIC, for a correspondent
account "0" and the BIC's 5th and 6th digits — followed by the 20-digit account, weighted by
7, 1, 3 repeated; the sum of the products must end in 0. A mistyped digit or two swapped
neighbours in the account or the BIC fail it, which a payment would otherwise discover days
later as money returned.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_WEIGHTS = (7, 1, 3) * 8


def _key_sum(digits):
    return sum(int(digit) * weight for digit, weight in zip(digits, _WEIGHTS)) % 10


def validate_bic(value):
    if not re.fullmatch(r"\d{9}", value or ""):
        raise ValidationError(_("БИК — 9 цифр."), code="invalid_bic")


def validate_account_digits(value):
    if not re.fullmatch(r"\d{20}", value or ""):
        raise ValidationError(_("Номер счёта — 20 цифр."), code="invalid_account")


def settlement_account_key_ok(account, bic):
    return _key_sum(bic[-3:] + account) == 0


def correspondent_account_key_ok(account, bic):
    return _key_sum("0" + bic[4:6] + account) == 0


def with_key(account, prefix):
    """``account`` (20 digits) with its control digit (the 9th) set so that the key holds
    after ``prefix`` (3 digits): for demo data and tests."""
    for digit in "0123456789":
        candidate = account[:8] + digit + account[9:]
        if _key_sum(prefix + candidate) == 0:
            return candidate
    raise AssertionError("unreachable: weight 3 at the key's position reaches every digit")


def validate_payee_accounts(*, bic, settlement_account, correspondent_account):
    """Errors by field name, for a model's clean()."""
    errors = {}
    for field, value, validator in (
        ("bic", bic, validate_bic),
        ("settlement_account", settlement_account, validate_account_digits),
        ("correspondent_account", correspondent_account, validate_account_digits),
    ):
        try:
            validator(value)
        except ValidationError as error:
            errors[field] = error
    if "bic" in errors:
        return errors
    if "settlement_account" not in errors and not settlement_account_key_ok(settlement_account, bic):
        errors["settlement_account"] = ValidationError(
            _("Расчётный счёт не сходится с БИК по контрольному ключу: проверьте обе цифры."), code="account_key"
        )
    if "correspondent_account" not in errors and not correspondent_account_key_ok(correspondent_account, bic):
        errors["correspondent_account"] = ValidationError(
            _("Корреспондентский счёт не сходится с БИК по контрольному ключу."), code="correspondent_key"
        )
    return errors
