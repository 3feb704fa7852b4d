"""The password rule of the active tenant's policy, as a Django password validator.

Django's CommonPasswordValidator (and the others in AUTH_PASSWORD_VALIDATORS) run beside it,
so every policy also rejects common passwords.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from portal.scoping import active_tenant_scope

PLATFORM_MIN_LENGTH = 12
PLATFORM_MAX_LENGTH = 128


def password_rule(policy):
    """(min, max, charset, needs_latin, needs_upper_lower, needs_digit) of a policy or the platform."""
    if policy is None:
        return PLATFORM_MIN_LENGTH, PLATFORM_MAX_LENGTH, "any", False, False, False
    return (
        policy.password_min_length, policy.password_max_length, policy.password_charset,
        policy.password_needs_latin_letter, policy.password_needs_upper_and_lower, policy.password_needs_digit,
    )


def describe_password_rule(policy):
    """The rule in one Russian sentence, shown next to the password field."""
    minimum, maximum, charset, latin, upper_lower, digit = password_rule(policy)
    parts = [_("от %(min)d до %(max)d символов") % {"min": minimum, "max": maximum}]
    if charset == "latin_alnum":
        parts.append(_("только латинские буквы и цифры"))
    if upper_lower:
        parts.append(_("заглавные и строчные латинские буквы"))
    elif latin:
        parts.append(_("хотя бы одна латинская буква"))
    if digit:
        parts.append(_("хотя бы одна цифра"))
    return _("Пароль: %(rule)s.") % {"rule": ", ".join(parts)}


class TenantPolicyPasswordValidator:
    def validate(self, password, user=None):
        tenant = getattr(user, "tenant", None) or active_tenant_scope(default=None)
        policy = tenant.policy if tenant else None
        minimum, maximum, charset, latin, upper_lower, digit = password_rule(policy)
        broken = (
            not minimum <= len(password) <= maximum
            or (charset == "latin_alnum" and not re.fullmatch(r"[A-Za-z0-9]+", password))
            or (latin and not re.search(r"[A-Za-z]", password))
            or (upper_lower and not (re.search(r"[a-z]", password) and re.search(r"[A-Z]", password)))
            or (digit and not re.search(r"\d", password))
        )
        if broken:
            raise ValidationError(describe_password_rule(policy), code="password_policy")

    def get_help_text(self):
        tenant = active_tenant_scope(default=None)
        return describe_password_rule(tenant.policy if tenant else None)
