"""The password rule of the active tenant's policy, as a Django password validator.

Django's CommonPasswordValidator (and the others in AUTH_PASSWORD_VALIDATORS) run beside it,
so every policy also rejects common passwords.
"""

import re

from django.contrib.auth import password_validation
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
    return _("Пароль: %(rule)s. Не подойдут распространённые пароли (например, abc12345), "
             "пароли только из цифр и пароли, близкие к вашим имени, логину или e-mail.") % {
        "rule": ", ".join(parts)}


def password_rule_errors(password, policy):
    """What in ``password`` breaks the rule, each said once and plainly. The field's hint
    already states the whole rule; the error names only what to change."""
    minimum, maximum, charset, latin, upper_lower, digit = password_rule(policy)
    errors = []
    if len(password) < minimum:
        errors.append(_("Пароль слишком короткий: нужно не меньше %(min)d символов.") % {"min": minimum})
    elif len(password) > maximum:
        errors.append(_("Пароль слишком длинный: можно не больше %(max)d символов.") % {"max": maximum})
    if charset == "latin_alnum" and not re.fullmatch(r"[A-Za-z0-9]*", password):
        errors.append(_("В пароле есть недопустимые символы: можно только латинские буквы и цифры."))
    if upper_lower and not (re.search(r"[a-z]", password) and re.search(r"[A-Z]", password)):
        errors.append(_("Добавьте в пароль заглавную и строчную латинские буквы."))
    elif latin and not re.search(r"[A-Za-z]", password):
        errors.append(_("Добавьте в пароль латинскую букву."))
    if digit and not re.search(r"\d", password):
        errors.append(_("Добавьте в пароль цифру."))
    return errors


class TenantPolicyPasswordValidator:
    def validate(self, password, user=None):
        tenant = getattr(user, "tenant", None) or active_tenant_scope(default=None)
        policy = tenant.policy if tenant else None
        errors = password_rule_errors(password, policy)
        if errors:
            raise ValidationError([ValidationError(error, code="password_policy") for error in errors])

    def get_help_text(self):
        tenant = active_tenant_scope(default=None)
        return describe_password_rule(tenant.policy if tenant else None)


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    """Django's list of common passwords, refused in plain words. A password may meet the
    tenant's rule and still be on it (abc12345, Passw0rd1): the hint says so beforehand."""

    def validate(self, password, user=None):
        try:
            super().validate(password, user)
        except ValidationError:
            raise ValidationError(
                _("Этот пароль слишком распространён: его легко подобрать. Придумайте другой."),
                code="password_too_common",
            ) from None
