"""Recovery: a forgotten password, by login (a code or a link) or by contract (guide 000)."""

from contextlib import suppress
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from portal.hosts import tenant_base_url
from portal.phones import looks_like_phone, normalize_phone

from . import confirmations, messages
from .models import Confirmation, User, normalize_email
from .registration import contract_for_registration, generated_login
from .messages import notify_user
from .services import normalized_login

@dataclass(frozen=True)
class ResetStarted:
    """Whose code the recovery page checks: the account's, or for nobody a Decoy's."""

    user: User | None
    decoy_name: str = ""


def reset_decoy(*, tenant, name):
    return confirmations.Decoy(tenant=tenant, name=f"reset:{name}")


def recovery_request(*, tenant, login):
    """Send a reset code (and, to an e-mail, a link) to the active account with this login.

    For nobody (unknown, or not yet activated and unable to log in) a Decoy, named by the
    login, stands in with the same cooldown, tries and hourly cap, so the page that follows
    answers alike. A request inside the cooldown or past the hourly cap sends nothing: the
    last code holds, real or not. Returns ResetStarted.
    """
    user = user_by_login(tenant=tenant, login=login)
    if user is None or not user.is_active:
        key = normalized_login(login)
        decoy = reset_decoy(tenant=tenant, name=key)
        with suppress(confirmations.ResendTooSoon):  # inside the cooldown the last code holds
            decoy.send(destination=key)
        return ResetStarted(user=None, decoy_name=decoy.name)
    with suppress(confirmations.ResendTooSoon):  # likewise
        _send_reset(user)
    return ResetStarted(user=user)


def _send_reset(user, *, enforce_cooldown=True):
    tenant = user.tenant
    if user.phone and (not user.email or user.username == user.phone):
        issued = confirmations.issue(user=user, purpose=Confirmation.Purpose.PASSWORD_RESET, channel="sms",
                                     destination=user.phone, enforce_cooldown=enforce_cooldown)
        messages.send_sms(tenant=tenant, to=user.phone, template="reset_code", code=issued.code, user=user,
                          valid_until=issued.valid_until)
        return
    issued = confirmations.issue(user=user, purpose=Confirmation.Purpose.PASSWORD_RESET, channel="email",
                                 destination=user.email, with_key=True, enforce_cooldown=enforce_cooldown)
    url = tenant_base_url(tenant) + reverse("accounts:password_reset_key", args=[issued.key])
    messages.send_email(tenant=tenant, to=user.email, template="reset", code=issued.code, url=url,
                        valid_until=issued.valid_until,
                        minutes=tenant.policy.code_ttl_minutes, user=user)


def user_by_login(*, tenant, login):
    """The user of the active tenant with this login (as the tenant's policy defines it)."""
    login = (login or "").strip()
    if not login or len(login) > 254:
        return None
    policy = tenant.policy
    if policy.registers_by_contract:
        return User.objects.filter(username=login).first()
    if policy.login_is_phone_or_email and looks_like_phone(login):
        try:
            return User.objects.filter(phone=normalize_phone(login)).first()
        except ValidationError:
            return None
    return User.objects.filter(email=normalize_email(login)).first()  # stored normalised, indexed


def recovery_by_code(*, tenant, started, code, password=None):
    """Set the new password if the code is right; for nobody, ``started``'s Decoy answers
    exactly as a real code would.

    ``password`` is None at guide 000, where the new password came with the form and waits,
    hashed, in the code's payload. Otherwise the password's likeness to the user's own data
    is checked only once the code is proven (before, it would tell that the account exists);
    if it fails, the code stays live. Raises ConfirmationError, ValidationError."""
    user = started.user
    if user is None:
        confirmations.Decoy(tenant=tenant, name=started.decoy_name).check()
    before_use = (lambda _confirmation: validate_password(password, user=user)) if password else None
    # check_code commits its own count of wrong tries; see registration_confirm_code.
    confirmation = confirmations.check_code(user=user, purpose=Confirmation.Purpose.PASSWORD_RESET, code=code,
                                            before_use=before_use)
    password_reset_complete(user=user, password=password, password_hash=confirmation.payload.get("password_hash"))


@transaction.atomic
def recovery_by_key(*, key, password):
    confirmation = confirmations.consume_key(key=key, purposes=[Confirmation.Purpose.PASSWORD_RESET])
    password_reset_complete(user=confirmation.user, password=password)
    return confirmation.user


@transaction.atomic
def recovery_start_by_contract(*, tenant, inn, contract_number, contact, password):
    """Guide 000: recovery repeats the registration form; the code goes to the contact, and
    the new password waits, hashed, in the code's payload (never in a session).

    The guide's two messages say whether the contract and the contact are in the registry;
    whether the counterparty has an account is not told: without one (or with one never
    activated) a Decoy answers and the contact is told by its channel. The new password is
    compared with what the form itself names (the login it makes, the contact), which is
    the same either way. Raises RegistrationError, ValidationError (the password),
    ResendTooSoon. Returns ResetStarted."""
    contract = contract_for_registration(inn=inn, contract_number=contract_number, contact=contact)
    login = generated_login(inn=inn, contract_number=contract.number)
    validate_password(password, user=User(tenant=tenant, username=login, **contact.as_fields()))
    user = contract.counterparty.account
    if user is None or user.activation_deadline is not None:
        decoy = reset_decoy(tenant=tenant, name=f"{login}:{contact.value}")
        decoy.send(destination=contact.value)
        messages.send(tenant=tenant, contact=contact, template="no_account",
                      url=tenant_base_url(tenant) + reverse("accounts:signup"))
        return ResetStarted(user=None, decoy_name=decoy.name)
    issued = confirmations.issue(user=user, purpose=Confirmation.Purpose.PASSWORD_RESET, channel=contact.channel,
                                 destination=contact.value, payload={"password_hash": make_password(password)})
    messages.send(tenant=tenant, contact=contact, template="reset_code" if contact.is_phone else "reset",
                  code=issued.code, minutes=tenant.policy.code_ttl_minutes, valid_until=issued.valid_until)
    return ResetStarted(user=user)


def password_reset_complete(*, user, password=None, password_hash=None):
    """Set the new password (ending every session: the session hash changes) and tell the user."""
    if password_hash:
        user.password = password_hash
    else:
        user.set_password(password)
    user.save(update_fields=["password"])
    notify_user(user=user, template="password_changed")
