"""Platform services: tenants, outgoing messages and the housekeeping of platform tables.

Callers say what to send to whom; delivery runs as a Celery task queued after the current
transaction commits (so a rolled-back registration never sends its code).
"""

import logging
import os
import time
from collections import defaultdict
from importlib import import_module

from captcha.models import CaptchaStore
from django.apps import apps
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import models, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django_scopes import scopes_disabled
from kombu.exceptions import OperationalError

from . import tasks
from .messaging import MESSAGE_HEADER, TENANT_HEADER, get_sms_backend, outbox_forget_recipient
from .models import OutgoingMessage, Tenant, TenantDomain, TenantPolicy

logger = logging.getLogger(__name__)

# Rate limits of the staff login (the kernel's own page): per client, and failures per login.
ADMIN_LOGINS_PER_MINUTE = "10/m"
ADMIN_LOGIN_FAILURES_PER_LOGIN = "50/h"


def message_send_email(*, tenant, to, subject, body, headers=None, user_id=None, forget_recipient=False):
    """Queue an e-mail from ``tenant`` (None: the platform) to the address ``to``; ``headers``
    (e.g. List-Unsubscribe) are added to the message; ``user_id``: whose message it is;
    ``forget_recipient``: the address is blanked once the message is sent (an erasure's notice)."""
    _queue(tenant=tenant, channel=OutgoingMessage.Channel.EMAIL, to=to, subject=subject, body=body, headers=headers,
           user_id=user_id, forget_recipient=forget_recipient)


def message_send_sms(*, tenant, to, text, user_id=None, forget_recipient=False):
    """Queue an SMS from ``tenant`` to the phone number ``to`` (+7XXXXXXXXXX)."""
    _queue(tenant=tenant, channel=OutgoingMessage.Channel.SMS, to=to, subject="", body=text, user_id=user_id,
           forget_recipient=forget_recipient)


def _queue(*, tenant, channel, to, subject, body, headers=None, user_id=None, forget_recipient=False):
    # The row is written in the caller's transaction (a rolled-back registration leaves
    # none); the text travels only in the task's arguments.
    message = OutgoingMessage.objects.create(tenant=tenant, channel=channel, to=to, user_id=user_id,
                                             forget_recipient=forget_recipient)
    arguments = {"tenant_id": tenant.pk if tenant else None, "message_id": message.pk, "subject": subject, "body": body}
    if headers:
        arguments["headers"] = dict(headers)  # only when given: tasks queued before keep their arguments
    transaction.on_commit(lambda: _publish(message.pk, arguments))


def _publish(message_id, arguments):
    """Publish the delivery; a broker that cannot be reached (Redis down) leaves the row
    «queued» and the page answering (issue 25: the outbox sweep publishes it later)."""
    try:
        tasks.deliver_message.delay(**arguments)
    except OperationalError as error:
        logger.warning("message %s stays queued: the broker cannot be reached (%s)", message_id, error)


def message_deliver(*, tenant, message_id, subject, body, headers=None):
    """Send a queued message, once: only the task that moves it from «queued» to «sending»
    sends it; a duplicate finds it taken and returns. A transport error (SmsError,
    OSError) puts it back in the queue and is raised for the task to retry.

    At most once, not at least once: a worker that dies while sending leaves the message
    «sending», and it is not sent again (a person can ask for a new code; two SMS with two
    different codes would be worse).

    A message marked ``forget_recipient`` is marked sent and loses its address in one
    statement (an erasure may mark it while it is being sent), and the outbox's copy of it,
    where a file transport wrote one, loses its recipient too."""
    messages = OutgoingMessage.objects.filter(pk=message_id)
    if not messages.filter(status=OutgoingMessage.Status.QUEUED).update(
        status=OutgoingMessage.Status.SENDING, attempts=models.F("attempts") + 1
    ):
        return False
    message = messages.get()
    try:
        if message.channel == OutgoingMessage.Channel.SMS:
            get_sms_backend().send(tenant_slug=tenant.slug if tenant else "", to=message.to, text=body,
                                   message_id=message.pk)
        else:
            _send_email(tenant=tenant, to=message.to, subject=subject, body=body, headers=headers,
                        message_id=message.pk)
    except Exception as error:
        messages.update(status=OutgoingMessage.Status.QUEUED, error=str(error)[:500])
        raise
    messages.update(status=OutgoingMessage.Status.SENT, sent_at=timezone.now(), **_error_and_forgetting(""))
    if messages.filter(forget_recipient=True).exists():
        outbox_forget_recipient(message.pk)
    return True


def _error_and_forgetting(error):
    """Values for an update that ends a message: ``error``; and where the row is marked
    forget_recipient, the address blanked and the error too (a transport's error may quote
    the address)."""
    marked = When(forget_recipient=True, then=Value(""))
    return {"to": Case(marked, default=F("to")), "error": Case(marked, default=Value(error))}


def message_give_up(*, message_id, error):
    OutgoingMessage.objects.filter(pk=message_id).update(status=OutgoingMessage.Status.FAILED,
                                                         **_error_and_forgetting(str(error)[:500]))


def _send_email(*, tenant, to, subject, body, headers=None, message_id=None):
    from_email = settings.DEFAULT_FROM_EMAIL
    if tenant:
        from_email = f"{tenant.short_name} <{settings.DEFAULT_FROM_EMAIL}>"
    message = EmailMessage(subject=subject, body=body, from_email=from_email, to=[to], headers=dict(headers or {}))
    if message_id is not None:
        message.extra_headers[MESSAGE_HEADER] = str(message_id)
    if tenant:
        message.extra_headers[TENANT_HEADER] = tenant.slug
    message.send()


def tenant_ensure_policy(*, tenant):
    """The tenant's policy, created with the platform defaults if it has none yet."""
    policy, _created = TenantPolicy.objects.get_or_create(tenant=tenant)
    return policy


@transaction.atomic
def tenant_create(*, slug, name, short_name, kind, domains=(), **branding):
    """Create a tenant with the default policy; validation errors raise ValidationError."""
    tenant = Tenant(slug=slug, name=name, short_name=short_name, kind=kind, **branding)
    tenant.full_clean()
    tenant.save()
    for domain in domains:
        tenant_domain = TenantDomain(tenant=tenant, domain=domain.strip().lower())
        tenant_domain.full_clean()
        tenant_domain.save()
    tenant_ensure_policy(tenant=tenant)
    return tenant


# OWASP ASVS: at least 12 characters, and no cap below 64. Below this a superuser is
# warned, not stopped: the demo tenants keep the rules their guides publish.
RECOMMENDED_MIN_PASSWORD_LENGTH = 12
RECOMMENDED_MAX_PASSWORD_LENGTH_AT_LEAST = 64


def policy_warnings(policy):
    """Russian warnings about a policy that is allowed but weaker than recommended."""
    warnings = []
    if policy.password_min_length < RECOMMENDED_MIN_PASSWORD_LENGTH:
        warnings.append(
            f"Минимальная длина пароля {policy.password_min_length} — меньше рекомендуемых "
            f"{RECOMMENDED_MIN_PASSWORD_LENGTH} символов."
        )
    if policy.password_max_length < RECOMMENDED_MAX_PASSWORD_LENGTH_AT_LEAST:
        warnings.append(
            f"Максимальная длина пароля {policy.password_max_length} — длинные пароли и фразы не поместятся; "
            f"рекомендуется разрешать не меньше {RECOMMENDED_MAX_PASSWORD_LENGTH_AT_LEAST} символов."
        )
    if policy.account_linking == policy.AccountLinking.BY_NUMBER and not policy.extended_access:
        warnings.append(
            "Контрольный вопрос выключен: полный доступ к лицевому счёту, подключённому по номеру, даст только "
            "сотрудник в админке. Рекомендуется включить подтверждение контрольным вопросом (PIN-код с квитанции)."
        )
    return warnings


# Housekeeping (Celery beat, hourly): rows that belong to no tenant and only pile up.


def captchas_delete_expired(*, now=None):
    """Delete captcha challenges past their lifetime (CAPTCHA_TIMEOUT): every view of a
    page with a captcha stores one, answered or not. Returns how many were deleted.

    CaptchaStore.remove_expired() does the same but tells nothing back."""
    deleted, _by_model = CaptchaStore.objects.filter(expiration__lte=now or timezone.now()).delete()
    return deleted


def sessions_delete_expired():
    """Delete expired sessions from the session store (what `manage.py clearsessions` does).
    The cached_db store's cache entries expire by themselves."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()


# A file on disk that no row names is an orphan once it is this old (seconds): younger, it
# may belong to a request whose transaction has not committed yet.
ORPHAN_MIN_AGE = 86400


def orphan_files_delete(*, min_age=ORPHAN_MIN_AGE, dry_run=False, now=None):
    """Delete the files of the FileFields' storages that no row names and that are older
    than ``min_age`` seconds: what a request wrote before its transaction rolled back (an
    attachment of an appeal whose save failed, an upload of an import the request did not
    commit), or a process killed between the two. Returns [(storage location, name)].

    Why a sweep rather than writing files after commit: the row must hold the name the
    storage gives the file (names are unique only when written), and a file written after
    commit is lost when the process dies in between, leaving a row that names nothing, a
    download that fails. Written first, the worst case is a file nobody names, which this
    removes a day later. Every storage a FileField of an installed app uses is walked
    whole (MEDIA_ROOT, PRIVATE_ROOT): nothing else may keep files there."""
    now = time.time() if now is None else now
    named, storages = defaultdict(set), {}
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.FileField):
                continue
            location = getattr(field.storage, "location", None)
            if location is None:  # not a folder of this machine's
                continue
            storages[location] = field.storage
            with scopes_disabled():
                rows = model._base_manager.exclude(**{field.attname: ""}).values_list(field.attname, flat=True)
                named[location].update(rows.iterator(chunk_size=10_000))
    deleted = []
    for location in storages:
        for directory, _folders, names in os.walk(location):
            for name in names:
                path = os.path.join(directory, name)
                relative = os.path.relpath(path, location).replace(os.sep, "/")
                if relative in named[location]:
                    continue
                try:
                    if now - os.stat(path).st_mtime < min_age:
                        continue
                    if not dry_run:
                        os.remove(path)
                except FileNotFoundError:  # gone meanwhile
                    continue
                deleted.append((location, relative))
    if deleted and not dry_run:
        logger.info("deleted %s files no row names", len(deleted))
    return deleted
