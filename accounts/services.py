"""Account rules shared by its features: the steps' names and messages, rate limits, the
login's one spelling, security notices, consents, expiry and housekeeping.

Registration is in ``accounts/registration.py``, recovery in ``accounts/recovery.py``.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal import versions
from portal.ids import parse_id
from portal.models import ConsentDocument, Tenant
from portal.ratelimits import normalized_login as folded_login
from portal.scoping import scopes_disabled, tenant_scope
from portal.phones import normalize_phone

from .models import Confirmation, ConsentAcceptance, User

PHONE_CODE = "phone_code"
CONSENTS = "consents"
EMAIL_CODE = "email_code"
EMAIL_LINK = "email_link"
PASSWORD = "password"
CONFIRMATION_STEPS = (PHONE_CODE, EMAIL_CODE, EMAIL_LINK)

# Rate limits, applied by the views with portal.ratelimits (per client unless it says "per
# user"/"per login"); allauth's own forms (login, its password reset and change) take
# ALLAUTH_RATE_LIMITS through accounts.allauth_settings.
SIGNUP_STEPS_PER_MINUTE = "10/m"
CODE_TRIES_PER_MINUTE = "10/m"  # a code or a link typed or followed: signup, recovery, the profile
RESENDS_PER_MINUTE = "10/m"
RESETS_PER_MINUTE = "5/m"
RESETS_PER_LOGIN_PER_HOUR = "5/h"
STAFF_CODE_FAILURES_PER_CLIENT = "10/h"
PROFILE_CHANGES_PER_MINUTE = "10/m"  # per user
CONTACT_CHANGES_PER_MINUTE = "5/m"  # per user
# Wrong current passwords on the profile's contact forms, per user: guessing a password
# through them gets no further than through the login form.
PROFILE_PASSWORD_FAILURES = "5/h"
ALLAUTH_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/300s/key",
    "change_password": "5/m/user",
    "reset_password": "20/m/ip,5/m/key",
    "signup": "20/m/ip",
}

CONTRACT_NOT_FOUND = _("Ошибка регистрации! Контрагент не найден!")
CONTACT_NOT_FOUND = _("Ошибка регистрации! Телефон (email) не найден!")
WRONG_PHONE_OR_CODE = _("Неверный телефон или код. Если код не подходит, попросите сотрудника отправить новый.")
CLAIM_IN_ANOTHER_BROWSER = _("Эта ссылка работает только в том браузере, в котором начата регистрация. "
                             "Откройте её там или зарегистрируйтесь заново.")
CONTACT_TAKEN = {  # by ContactKind
    "email": _("Этот e-mail уже зарегистрирован. Войдите или восстановите пароль."),
    "phone": _("Этот телефон уже зарегистрирован. Войдите или восстановите пароль."),
}


class RegistrationError(Exception):
    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class ClientInfo:
    """Where a request came from, for consent records."""

    ip_address: str | None
    user_agent: str


def normalized_login(value):
    """A typed login in one spelling, for rate-limit and lock-out keys: whatever reads as a
    phone (normalize_phone, the one parser every phone lookup uses) as +7…, the rest folded."""
    try:
        return normalize_phone(value)
    except ValidationError:
        return folded_login(value)


# Consents


def consent_documents(*, moment):
    return list(ConsentDocument.objects.filter(is_active=True, moment=moment).order_by("-required", "kind"))


def consents_record(*, user, documents, client):
    for document in documents:
        ConsentAcceptance.objects.get_or_create(
            tenant=user.tenant, user=user, document=document, withdrawn_at=None,
            defaults={"ip_address": client.ip_address, "user_agent": client.user_agent[:500]},
        )


def signup_consents_missing(*, user):
    """Required signup documents a pending registration has not accepted (a customer whom
    staff registered gives them while finishing the registration)."""
    accepted = ConsentAcceptance.objects.filter(user=user, withdrawn_at__isnull=True).values("document_id")
    return list(
        ConsentDocument.objects.filter(is_active=True, required=True, moment=ConsentDocument.Moment.SIGNUP)
        .exclude(pk__in=accepted)
    )


def consents_pending(*, user):
    """Required documents the user still has to sign after logging in (guide 004)."""
    if not user.tenant.policy.consent_after_first_login:
        return []
    accepted = ConsentAcceptance.objects.filter(user=user, withdrawn_at__isnull=True).values("document_id")
    return list(
        ConsentDocument.objects.filter(is_active=True, required=True, moment=ConsentDocument.Moment.FIRST_LOGIN)
        .exclude(pk__in=accepted)
    )


# The consent gate asks the database once per session, not on every request: a session
# whose user had nothing left to sign remembers the tenant's consent *version*, a token in
# the cache (portal.versions) that every write of a consent document replaces
# (accounts/versions.py). A new required document therefore reaches users already signed in
# at their next request.
CONSENT_GATE_SESSION_KEY = "accounts:consents_signed"
CONSENTS = "accounts.consents"


def consents_version(tenant_id):
    return versions.version(CONSENTS, tenant_id)


def consent_gate_passes(*, user, session):
    """False while the user has a required document to sign after logging in (guide 004)."""
    version = consents_version(user.tenant_id)
    if session.get(CONSENT_GATE_SESSION_KEY) == version:
        return True
    if consents_pending(user=user):
        return False
    session[CONSENT_GATE_SESSION_KEY] = version
    return True


def consents_offered(*, user):
    """Optional documents the user has not accepted (or withdrew): they may give them now."""
    accepted = ConsentAcceptance.objects.filter(user=user, withdrawn_at__isnull=True).values("document_id")
    return list(ConsentDocument.objects.filter(is_active=True, required=False).exclude(pk__in=accepted))


def consent_give(*, user, document_id, client):
    """Accept one optional document offered on the consents page; False for anything else."""
    document_id = parse_id(document_id)
    document = next((doc for doc in consents_offered(user=user) if doc.pk == document_id), None)
    if document is None:
        return False
    consents_record(user=user, documents=[document], client=client)
    return True


def consent_withdraw(*, user, acceptance_id):
    """Withdraw an optional consent (required ones are withdrawn by closing the account)."""
    acceptance_id = parse_id(acceptance_id)
    if acceptance_id is None:
        return False
    acceptance = ConsentAcceptance.objects.select_related("document").filter(
        user=user, pk=acceptance_id, withdrawn_at__isnull=True
    ).first()
    if acceptance is None or acceptance.document.required:
        return False
    acceptance.withdrawn_at = timezone.now()
    acceptance.save(update_fields=["withdrawn_at"])
    return True


# Expiry


def users_expire_unactivated(*, now=None):
    """Delete the accounts past their activation window, tenant by tenant, where the
    tenant's policy says so. The one service behind `manage.py expire_unactivated` and the
    hourly beat task. Returns {tenant slug: how many were deleted}."""
    deleted = {}
    for tenant in Tenant.objects.select_related("policy").order_by("slug"):
        with tenant_scope(tenant):
            deleted[tenant.slug] = _users_expire_unactivated_of(tenant, now=now or timezone.now())
    return deleted


def _users_expire_unactivated_of(tenant, *, now):
    if not tenant.policy.delete_unactivated:
        return 0
    expired = User.objects.filter(activation_deadline__lt=now, is_staff=False, is_superuser=False)
    count = expired.count()
    expired.delete()
    return count


# Housekeeping (Celery beat, hourly)


# Older than every resend cooldown a policy allows (at most an hour), which is the one
# thing a dead confirmation still answers: when the user's last code was sent.
KEEP_DEAD_CONFIRMATIONS = timedelta(days=1)


def confirmations_delete_stale(*, now=None):
    """Delete confirmations that are used, superseded or expired (code and link both) and
    were sent more than a day ago. A live one is never deleted, whatever its age (a link
    may live the whole activation window). Returns how many were deleted."""
    now = now or timezone.now()
    expired = (Q(code_expires_at__isnull=True) | Q(code_expires_at__lte=now)) & (
        Q(key_expires_at__isnull=True) | Q(key_expires_at__lte=now)
    )
    dead = Q(used_at__isnull=False) | Q(superseded=True) | expired
    # Platform-wide on purpose: the rule is the same for every tenant and reads nothing
    # out of the rows, so walking the tenants' scopes one by one would only cost a query
    # per tenant. Nothing else runs inside this block.
    with scopes_disabled():
        deleted, _by_model = Confirmation.objects.filter(dead, created_at__lt=now - KEEP_DEAD_CONFIRMATIONS).delete()
    return deleted
