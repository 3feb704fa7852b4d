"""Issuing and checking one-time codes and links (accounts.models.Confirmation).

The rules, all from the tenant's policy: a code has ``code_length`` digits and lives
``code_ttl_seconds``; a link lives the activation window (a code and a link in one message
each keep their own lifetime); a new one may be sent only after ``resend_cooldown_seconds``;
after ``code_max_attempts`` wrong tries the code is dead and a new one is needed. Issuing
locks the user's row, so concurrent resends send one message and leave one live code; every
check runs under select_for_update, so a code or link is consumed once even when two
requests race.

Where a page must not reveal whether an account exists (recovery, signup with a taken
contact), a ``Decoy`` stands in for the code nobody was sent: it answers every try with the
very words a real code would.
"""

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Confirmation, User

CODE_INVALID = _("Код недействителен. Запросите новый код.")
CODE_EXPIRED = _("Срок действия кода истёк. Запросите новый код.")
CODE_EXHAUSTED = _("Код введён неверно слишком много раз. Запросите новый код.")


def wrong_code_message(attempts_left):
    return _("Неверный код. Осталось попыток: %(left)s.") % {"left": attempts_left}


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


# However many accounts or IPs ask, one phone or address gets at most this many codes,
# links and notices an hour: the cooldown is per user, and a new registration would start a
# new one.
MAX_PER_DESTINATION = 10
DESTINATION_WINDOW_SECONDS = 3600


def spend_destination_budget(tenant_id, destination):
    """Count one message to ``destination``; raise TooManyMessages past the tenant's hourly
    cap. The count is the tenant's own: what happens at one tenant never changes what
    another answers (a cap shared by all tenants would let one tenant's visitors block,
    and learn about, a number at another).

    add + incr are atomic in the cache (Redis), so concurrent requests cannot both take the
    last message of the budget."""
    key = f"confirmations:sent:{tenant_id}:{hashlib.sha256(destination.lower().encode()).hexdigest()}"
    cache.add(key, 0, timeout=DESTINATION_WINDOW_SECONDS)
    try:
        sent = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=DESTINATION_WINDOW_SECONDS)
        sent = 1
    if sent > MAX_PER_DESTINATION:
        raise TooManyMessages()


@dataclass(frozen=True)
class Issued:
    confirmation: Confirmation
    code: str | None  # plain values, to put in the message and then forget
    key: str | None

    @property
    def valid_until(self):
        """Until when the message that carries it may still be sent (the later of the code's
        and the link's expiry): portal.services.message_send_*'s ``valid_until``."""
        return max((moment for moment in (self.confirmation.code_expires_at, self.confirmation.key_expires_at)
                    if moment is not None), default=None)


def _hash_code(code, confirmation_purpose, user_id):
    # Keyed and bound to user and purpose: the same digits hash differently elsewhere.
    message = f"{user_id}:{confirmation_purpose}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _hash_key(key):
    return hashlib.sha256(key.encode()).hexdigest()


def new_code(policy):
    return "".join(secrets.choice("0123456789") for _ in range(policy.code_length))


def latest(*, user, purpose):
    return Confirmation.objects.filter(user=user, purpose=purpose).order_by("-created_at").first()


def _seconds_left(sent_at, cooldown_seconds):
    remaining = (sent_at + timedelta(seconds=cooldown_seconds) - timezone.now()).total_seconds()
    return max(0, int(remaining + 0.999))


def seconds_until_resend(*, user, purpose):
    """0 when a new code may be sent now."""
    last = latest(user=user, purpose=purpose)
    return _seconds_left(last.created_at, user.tenant.policy.resend_cooldown_seconds) if last else 0


@transaction.atomic
def issue(*, user, purpose, channel, destination, with_code=True, with_key=False, enforce_cooldown=True,
          payload=None, code_sent=True):
    """Create a confirmation (superseding earlier ones of the same purpose) and return the
    plain code/key once. Raises ResendTooSoon inside the policy's cooldown, TooManyMessages
    past the destination's hourly cap.

    ``code_sent=False``: a code is due but none goes out (the contact is someone else's, and
    its owner gets a notice instead). The row answers tries, expiry and resends exactly as a
    sent code's does, and no typed code matches it: its hash is of no code at all."""
    policy = user.tenant.policy
    # One issuer at a time per user: a concurrent resend waits here, then sees this one's
    # confirmation and is refused by the cooldown.
    User.objects.select_for_update().filter(pk=user.pk).first()
    if enforce_cooldown:
        wait = seconds_until_resend(user=user, purpose=purpose)
        if wait:
            raise ResendTooSoon(wait)
    spend_destination_budget(user.tenant_id, destination)
    Confirmation.objects.filter(user=user, purpose=purpose, used_at__isnull=True, superseded=False).update(superseded=True)
    code = new_code(policy) if with_code else None
    key = secrets.token_urlsafe(32) if with_key else None
    now = timezone.now()
    confirmation = Confirmation.objects.create(
        tenant=user.tenant, user=user, purpose=purpose, channel=channel, destination=destination,
        code_hash=(_hash_code(code, purpose, user.pk) if code_sent else secrets.token_hex(32)) if code else "",
        key_hash=_hash_key(key) if key else "",
        code_expires_at=now + timedelta(seconds=policy.code_ttl_seconds) if code else None,
        key_expires_at=now + timedelta(hours=policy.activation_window_hours) if key else None,
        payload=payload or {},
    )
    return Issued(confirmation=confirmation, code=code if code_sent else None, key=key)


def _judge_wrong_code(failed_attempts, max_attempts):
    """The answer to a wrong code after ``failed_attempts`` (this one counted)."""
    left = max_attempts - failed_attempts
    if left <= 0:
        raise ConfirmationError(CODE_EXHAUSTED, needs_new_code=True)
    raise ConfirmationError(wrong_code_message(left))


def check_code(*, user, purpose, code, before_use=None, max_attempts=None):
    """Consume the user's current code for ``purpose`` if ``code`` matches it.

    A wrong code counts; at the policy's limit (or ``max_attempts``, for a code that must
    outlast strangers' tries) the code is dead. ``before_use(confirmation)`` runs once the
    code is proven and before it is consumed: if it raises, the code stays live. Raises ConfirmationError,
    which views catch and show: the request's transaction commits, and the count with it.
    """
    max_attempts = max_attempts or user.tenant.policy.code_max_attempts
    with transaction.atomic():
        confirmation = (
            Confirmation.objects.select_for_update()
            .filter(user=user, purpose=purpose, superseded=False, used_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if confirmation is None or not confirmation.code_hash:
            raise ConfirmationError(CODE_INVALID, needs_new_code=True)
        if confirmation.code_expires_at <= timezone.now():
            raise ConfirmationError(CODE_EXPIRED, needs_new_code=True)
        if confirmation.failed_attempts >= max_attempts:
            raise ConfirmationError(CODE_INVALID, needs_new_code=True)
        if hmac.compare_digest(confirmation.code_hash, _hash_code(code.strip(), purpose, user.pk)):
            if before_use:
                before_use(confirmation)
            confirmation.used_at = timezone.now()
            confirmation.save(update_fields=["used_at"])
            return confirmation
        confirmation.failed_attempts += 1
        confirmation.save(update_fields=["failed_attempts"])
    _judge_wrong_code(confirmation.failed_attempts, max_attempts)


class Decoy:
    """The code that was "sent" where nothing was. It stands for the code a real account
    would have (named by the tenant and the login or contact typed) and lives in the
    cache, so every browser and every parallel request sees one code, as they would see a
    real one in the database. Sending, expiry, tries and resends answer exactly as
    ``issue`` and ``check_code`` do for a real code of the same policy; it never matches.
    Its counters are atomic (cache add and incr), as a real code's row lock is."""

    DAY = 86400

    def __init__(self, *, tenant, name):
        self.tenant, self.policy = tenant, tenant.policy
        self.name = name
        digest = hashlib.sha256(f"{tenant.pk}:{name}".encode()).hexdigest()
        self._sent, self._expires, self._failed = (f"decoy:{digest}:{part}" for part in ("sent", "expires", "failed"))

    def send(self, *, destination=None, enforce_cooldown=True):
        """A new decoy code, as ``issue`` makes a real one: refused inside the cooldown
        (ResendTooSoon), and past the destination's hourly cap (TooManyMessages)."""
        now = time.time()
        cooldown = self.policy.resend_cooldown_seconds
        if enforce_cooldown:
            if not cache.add(self._sent, now, timeout=cooldown):
                raise ResendTooSoon(self.seconds_until_resend())
        else:
            cache.set(self._sent, now, timeout=cooldown)
        if destination:
            try:
                spend_destination_budget(self.tenant.pk, destination)
            except TooManyMessages:
                cache.delete(self._sent)  # nothing was issued, as with a real code
                raise
        lifetime = self.policy.code_ttl_seconds
        cache.set_many({self._expires: now + lifetime, self._failed: 0}, timeout=lifetime + self.DAY)

    def seconds_until_resend(self):
        sent = cache.get(self._sent)
        if sent is None:
            return 0
        return max(0, int(sent + self.policy.resend_cooldown_seconds - time.time() + 0.999))

    def check(self):
        """Always raises ConfirmationError; counts the try like a real code would."""
        expires = cache.get(self._expires)
        if expires is None:
            raise ConfirmationError(CODE_INVALID, needs_new_code=True)
        if expires <= time.time():
            raise ConfirmationError(CODE_EXPIRED, needs_new_code=True)
        try:
            failed = cache.incr(self._failed)
        except ValueError:
            raise ConfirmationError(CODE_INVALID, needs_new_code=True) from None
        if failed > self.policy.code_max_attempts:
            raise ConfirmationError(CODE_INVALID, needs_new_code=True)
        _judge_wrong_code(failed, self.policy.code_max_attempts)


def find_by_key(*, key, purposes):
    """The live confirmation a link key belongs to (in the active tenant scope), or raise."""
    if not key or len(key) > 100:
        raise ConfirmationError(_("Ссылка недействительна."))
    confirmation = (
        Confirmation.objects.select_related("user")
        .filter(key_hash=_hash_key(key), purpose__in=purposes)
        .first()
    )
    if confirmation is None:
        raise ConfirmationError(_("Ссылка недействительна."))
    if confirmation.used_at:
        raise ConfirmationError(_("Ссылка уже использована."))
    if confirmation.superseded:
        raise ConfirmationError(_("Эта ссылка заменена более новой — откройте последнее письмо."))
    if confirmation.key_expires_at <= timezone.now():
        raise ConfirmationError(_("Срок действия ссылки истёк."))
    return confirmation


def consume_key(*, key, purposes):
    """Use a link key once; returns its confirmation. Raises ConfirmationError."""
    with transaction.atomic():
        confirmation = find_by_key(key=key, purposes=purposes)
        confirmation = Confirmation.objects.select_for_update().get(pk=confirmation.pk)
        if confirmation.used_at:
            raise ConfirmationError(_("Ссылка уже использована."))
        confirmation.used_at = timezone.now()
        confirmation.save(update_fields=["used_at"])
        return confirmation
