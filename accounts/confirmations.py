"""Issuing and checking one-time codes and links (accounts.models.Confirmation).

The rules, all from the tenant's policy: a code has ``code_length`` digits and lives
``code_ttl_seconds``; a new one may be sent only after ``resend_cooldown_seconds``; after
``code_max_attempts`` wrong tries the code is dead and a new one is needed. Link keys live
the policy's activation window. Every check runs under select_for_update, so a code or
link is consumed once even when two requests race.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from .models import Confirmation


class ConfirmationError(Exception):
    """Why a code or link was refused; ``message`` is for the user."""

    def __init__(self, message, *, needs_new_code=False):
        super().__init__(message)
        self.message = message
        self.needs_new_code = needs_new_code


class ResendTooSoon(Exception):
    def __init__(self, seconds_left):
        super().__init__(f"resend allowed in {seconds_left} s")
        self.seconds_left = seconds_left


class TooManyMessages(ResendTooSoon):
    """The hourly cap for one phone or e-mail is spent (whoever asked, from wherever)."""

    def __init__(self):
        super().__init__(DESTINATION_WINDOW_SECONDS)


# However many accounts or IPs ask, one phone or address gets at most this many codes and
# links an hour: the cooldown is per user, and a new registration would start a new one.
MAX_PER_DESTINATION = 10
DESTINATION_WINDOW_SECONDS = 3600


def _spend_destination_budget(tenant_id, destination):
    key = f"confirmations:sent:{tenant_id}:{hashlib.sha256(destination.lower().encode()).hexdigest()}"
    sent = cache.get_or_set(key, 0, timeout=DESTINATION_WINDOW_SECONDS)
    if sent >= MAX_PER_DESTINATION:
        raise TooManyMessages()
    cache.incr(key)


@dataclass(frozen=True)
class Issued:
    confirmation: Confirmation
    code: str | None  # plain values, to put in the message and then forget
    key: str | None


def _hash_code(code, confirmation_purpose, user_id):
    # Keyed and bound to user and purpose: the same digits hash differently elsewhere.
    message = f"{user_id}:{confirmation_purpose}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _hash_key(key):
    return hashlib.sha256(key.encode()).hexdigest()


def latest(*, user, purpose):
    return Confirmation.objects.filter(user=user, purpose=purpose).order_by("-created_at").first()


def seconds_until_resend(*, user, purpose):
    """0 when a new code may be sent now."""
    last = latest(user=user, purpose=purpose)
    if last is None:
        return 0
    cooldown = user.tenant.policy.resend_cooldown_seconds
    remaining = (last.created_at + timedelta(seconds=cooldown) - timezone.now()).total_seconds()
    return max(0, int(remaining + 0.999))


@transaction.atomic
def issue(*, user, purpose, channel, destination, with_code=True, with_key=False, enforce_cooldown=True):
    """Create a confirmation (superseding earlier ones of the same purpose) and return the
    plain code/key once. Raises ResendTooSoon inside the policy's cooldown, TooManyMessages
    past the destination's hourly cap."""
    policy = user.tenant.policy
    if enforce_cooldown:
        wait = seconds_until_resend(user=user, purpose=purpose)
        if wait:
            raise ResendTooSoon(wait)
    _spend_destination_budget(user.tenant_id, destination)
    Confirmation.objects.filter(user=user, purpose=purpose, used_at__isnull=True, superseded=False).update(superseded=True)
    code = "".join(secrets.choice("0123456789") for _ in range(policy.code_length)) if with_code else None
    key = secrets.token_urlsafe(32) if with_key else None
    lifetime = timedelta(hours=policy.activation_window_hours) if with_key else timedelta(seconds=policy.code_ttl_seconds)
    confirmation = Confirmation.objects.create(
        tenant=user.tenant, user=user, purpose=purpose, channel=channel, destination=destination,
        code_hash=_hash_code(code, purpose, user.pk) if code else "",
        key_hash=_hash_key(key) if key else "",
        expires_at=timezone.now() + lifetime,
    )
    return Issued(confirmation=confirmation, code=code, key=key)


def _usable(confirmation):
    if confirmation is None or confirmation.superseded or confirmation.used_at:
        raise ConfirmationError("Код недействителен. Запросите новый код.", needs_new_code=True)
    if confirmation.expires_at <= timezone.now():
        raise ConfirmationError("Срок действия кода истёк. Запросите новый код.", needs_new_code=True)


def check_code(*, user, purpose, code):
    """Consume the user's current code for ``purpose`` if ``code`` matches it.

    A wrong code counts; at the policy's limit the code is dead. Raises ConfirmationError,
    which views catch and show: the request's transaction commits, and the count with it.
    """
    max_attempts = user.tenant.policy.code_max_attempts
    with transaction.atomic():
        confirmation = (
            Confirmation.objects.select_for_update()
            .filter(user=user, purpose=purpose, superseded=False, used_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        _usable(confirmation)
        if not confirmation.code_hash or confirmation.failed_attempts >= max_attempts:
            raise ConfirmationError("Код недействителен. Запросите новый код.", needs_new_code=True)
        expected = confirmation.code_hash
        given = _hash_code(code.strip(), purpose, user.pk)
        if hmac.compare_digest(expected, given):
            confirmation.used_at = timezone.now()
            confirmation.save(update_fields=["used_at"])
            return confirmation
        confirmation.failed_attempts += 1
        confirmation.save(update_fields=["failed_attempts"])
        left = max_attempts - confirmation.failed_attempts
    if left <= 0:
        raise ConfirmationError("Код введён неверно слишком много раз. Запросите новый код.", needs_new_code=True)
    raise ConfirmationError(f"Неверный код. Осталось попыток: {left}.")


def find_by_key(*, key, purpose):
    """The live confirmation a link key belongs to (in the active tenant scope), or raise."""
    if not key or len(key) > 100:
        raise ConfirmationError("Ссылка недействительна.")
    confirmation = (
        Confirmation.objects.select_related("user")
        .filter(key_hash=_hash_key(key), purpose=purpose)
        .first()
    )
    if confirmation is None:
        raise ConfirmationError("Ссылка недействительна.")
    if confirmation.used_at:
        raise ConfirmationError("Ссылка уже использована.")
    if confirmation.superseded:
        raise ConfirmationError("Эта ссылка заменена более новой — откройте последнее письмо.")
    if confirmation.expires_at <= timezone.now():
        raise ConfirmationError("Срок действия ссылки истёк.")
    return confirmation


def consume_key(*, key, purpose):
    """Use a link key once; returns its confirmation. Raises ConfirmationError."""
    with transaction.atomic():
        confirmation = find_by_key(key=key, purpose=purpose)
        confirmation = Confirmation.objects.select_for_update().get(pk=confirmation.pk)
        if confirmation.used_at:
            raise ConfirmationError("Ссылка уже использована.")
        confirmation.used_at = timezone.now()
        confirmation.save(update_fields=["used_at"])
        return confirmation
