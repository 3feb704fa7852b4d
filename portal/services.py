"""Platform services: tenants, outgoing messages and the housekeeping of platform tables.

Callers say what to send to whom; the message is a row written in the caller's transaction
(a rolled-back registration never sends its code), published to Celery once it commits, and
published again by a beat sweep if that is lost (OutgoingMessage: the row is the job).
"""

import logging
import os
import time
from collections import defaultdict
from datetime import timedelta
from importlib import import_module

from auditlog import get_logentry_model
from captcha.models import CaptchaStore
from django.apps import apps
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import models, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django_scopes import scopes_disabled

from . import sealing, tasks
from .messaging import MESSAGE_HEADER, TENANT_HEADER, SmsError, get_sms_backend, outbox_forget_recipient
from .models import OutgoingMessage, Tenant, TenantDomain, TenantPolicy
from .retries import MAX_COUNTDOWN, TRANSIENT_ERRORS

logger = logging.getLogger(__name__)

# Rate limits of the staff login (the kernel's own page): per client, and failures per login.
ADMIN_LOGINS_PER_MINUTE = "10/m"
ADMIN_LOGIN_FAILURES_PER_LOGIN = "50/h"


def message_send_email(*, tenant, to, subject, body, headers=None, user_id=None, forget_recipient=False,
                       valid_until=None):
    """Queue an e-mail from ``tenant`` (None: the platform) to the address ``to``; ``headers``
    (e.g. List-Unsubscribe) are added to the message; ``user_id``: whose message it is;
    ``forget_recipient``: the address is blanked once the message is sent (an erasure's notice);
    ``valid_until``: the message carries a one-time code or link valid until then — it is
    never sent later, nor sent twice (OutgoingMessage)."""
    _queue(tenant=tenant, channel=OutgoingMessage.Channel.EMAIL, to=to, subject=subject, body=body, headers=headers,
           user_id=user_id, forget_recipient=forget_recipient, valid_until=valid_until)


def message_send_sms(*, tenant, to, text, user_id=None, forget_recipient=False, valid_until=None):
    """Queue an SMS from ``tenant`` to the phone number ``to`` (+7XXXXXXXXXX)."""
    _queue(tenant=tenant, channel=OutgoingMessage.Channel.SMS, to=to, subject="", body=text, user_id=user_id,
           forget_recipient=forget_recipient, valid_until=valid_until)


def _queue(*, tenant, channel, to, subject, body, headers=None, user_id=None, forget_recipient=False,
           valid_until=None):
    # The row is written in the caller's transaction (a rolled-back registration leaves
    # none), with its text sealed; the task carries only its id.
    now = timezone.now()
    content = {"subject": subject, "body": body, "headers": dict(headers or {})}
    message = OutgoingMessage.objects.create(
        tenant=tenant, channel=channel, to=to, user_id=user_id, forget_recipient=forget_recipient,
        payload=sealing.seal(content), has_code=valid_until is not None,
        expires_at=valid_until or now + settings.OUTBOX_MESSAGE_LIFETIME,
        due_at=now + timedelta(seconds=settings.OUTBOX_REPUBLISH_AFTER))
    tenant_id = tenant.pk if tenant else None
    transaction.on_commit(lambda: _publish(tenant_id, message.pk))


def _publish(tenant_id, message_id):
    """Hand the message to the broker. A broker that is down costs a delay, not the message
    (nor the request's answer): the row is due, and the sweep publishes it again."""
    try:
        tasks.deliver_message.delay(tenant_id=tenant_id, message_id=message_id)
    except (*TRANSIENT_ERRORS, OSError) as error:
        logger.warning("Message %s not published (%s); the outbox sweep will publish it.", message_id, error)
        return False
    return True


# The tries of one message (the worker's own and the sweep's together): 10 s, 20 s, 40 s,
# 80 s, then every MAX_COUNTDOWN (2 min by default), half an hour in all; then «не отправлено».
MAX_DELIVERY_ATTEMPTS = 18
# What puts a message back in the queue: the database, the broker, the gateway, SMTP (an
# smtplib error is an OSError), the network.
DELIVERY_TRANSIENT_ERRORS = (*TRANSIENT_ERRORS, SmsError, OSError)

TEXT_NOT_KEPT = "текст не сохранён (сообщение поставлено в очередь до того, как текст стал храниться)"
TEXT_UNREADABLE = "текст не расшифровывается ключами из настроек (SECRET_KEY сменён без SECRET_KEY_FALLBACKS?)"
EXPIRED_UNSENT = "срок действия истёк до отправки"
STUCK_WITH_CODE = ("отправка прервалась (обработчик остановился или база данных была недоступна); дошло ли "
                   "сообщение, неизвестно, а одноразовый код повторно не отправляется")


class DeliveryPostponed(Exception):
    """A transient error: the message is back in the queue; the task retries in ``countdown``
    seconds (and the sweep publishes it again if that retry is lost)."""

    def __init__(self, error, countdown):
        super().__init__(str(error))
        self.error, self.countdown = error, countdown


def delivery_backoff(attempts):
    """Seconds before the try after the ``attempts``-th: 10, 20, 40, 80, then MAX_COUNTDOWN."""
    return min(MAX_COUNTDOWN, 10 * 2 ** max(0, attempts - 1))


def message_deliver(*, tenant, message_id, subject=None, body=None, headers=None):
    """Send a queued message, once: only the task that moves it from «queued» to «sending»
    (under the row's lock) sends it; a duplicate finds it taken and returns False. A message
    past its validity is marked «истёк» instead. ``subject``/``body``/``headers``: a task
    queued before the text was kept with the row carries them.

    A transient error puts it back in the queue, due after the backoff, and raises
    DeliveryPostponed for the task to retry; the MAX_DELIVERY_ATTEMPTS-th makes it «не
    отправлено» with the reason. Any other error makes it «не отправлено» at once, and is
    raised. A worker that dies while sending leaves it «sending»: the sweep resolves that
    (OutgoingMessage's docstring).

    A message marked ``forget_recipient`` is marked sent and loses its address in one
    statement (an erasure may mark it while it is being sent), and the outbox's copy of it,
    where a file transport wrote one, loses its recipient too."""
    now = timezone.now()
    messages = OutgoingMessage.objects.filter(pk=message_id)
    with transaction.atomic():
        message = messages.select_for_update().filter(status=OutgoingMessage.Status.QUEUED).first()
        if message is None:
            return False
        if message.expires_at <= now:
            _end(messages, OutgoingMessage.Status.EXPIRED, EXPIRED_UNSENT)
            return False
        try:
            content = sealing.unseal(message.payload) if message.payload else None
        except sealing.InvalidToken:
            _end(messages, OutgoingMessage.Status.FAILED, TEXT_UNREADABLE)
            return False
        if content is None and body is not None:
            content = {"subject": subject or "", "body": body, "headers": headers or {}}
        if content is None:
            _end(messages, OutgoingMessage.Status.FAILED, TEXT_NOT_KEPT)
            return False
        messages.update(status=OutgoingMessage.Status.SENDING, attempts=F("attempts") + 1, claimed_at=now)
    attempts = message.attempts + 1
    # This worker's claim: a worker so slow that the sweep put the row back in the queue (and
    # another may have claimed it) changes it no more, but for «sent» while nobody has it.
    mine = messages.filter(status=OutgoingMessage.Status.SENDING, claimed_at=now)
    try:
        if message.channel == OutgoingMessage.Channel.SMS:
            get_sms_backend().send(tenant_slug=tenant.slug if tenant else "", to=message.to, text=content["body"],
                                   message_id=message.pk)
        else:
            _send_email(tenant=tenant, to=message.to, subject=content["subject"], body=content["body"],
                        headers=content["headers"], message_id=message.pk)
    except DELIVERY_TRANSIENT_ERRORS as error:
        if attempts >= MAX_DELIVERY_ATTEMPTS:
            _end(mine, OutgoingMessage.Status.FAILED, _reason(error, attempts), keep_text=True)
            return False
        countdown = delivery_backoff(attempts)
        due = timezone.now() + timedelta(seconds=countdown + settings.OUTBOX_REPUBLISH_AFTER)
        mine.update(status=OutgoingMessage.Status.QUEUED, error=_reason(error, attempts), due_at=due)
        raise DeliveryPostponed(error, countdown) from error
    except Exception as error:
        _end(mine, OutgoingMessage.Status.FAILED, _reason(error, attempts), keep_text=True)
        raise
    _end(mine | messages.filter(status=OutgoingMessage.Status.QUEUED), OutgoingMessage.Status.SENT, "",
         sent_at=timezone.now())
    if messages.filter(forget_recipient=True).exists():
        outbox_forget_recipient(message.pk)
    return True


def _reason(error, attempts):
    return f"попытка {attempts}: {type(error).__name__}: {error}"[:500]


def _end(messages, status, error, *, keep_text=False, **values):
    """End ``messages`` with ``status`` and ``error``. The text goes (a «не отправлено» keeps
    it, for an admin to send it again while it is valid), and where a row is marked
    forget_recipient, the address, the error (a transport's error may quote the address) and
    the text go too."""
    marked = When(forget_recipient=True, then=Value(""))
    text = Case(marked, default=F("payload"), output_field=models.TextField()) if keep_text else Value("")
    return messages.update(status=status, to=Case(marked, default=F("to")), error=Case(marked, default=Value(error)),
                           payload=text, **values)


def message_give_up(*, message_id, error):
    """«не отправлено» with ``error``, the text kept for an admin's re-send."""
    _end(OutgoingMessage.objects.filter(pk=message_id), OutgoingMessage.Status.FAILED, str(error)[:500],
         keep_text=True)


def messages_sweep(*, now=None):
    """What beat runs every OUTBOX_SWEEP_SECONDS, across tenants (OutgoingMessage's docstring
    has the rules): expire what is past its validity, resolve what is stuck «sending», and
    publish again, in batches, what is queued and due. Returns the counts."""
    now = now or timezone.now()
    queued, sending = OutgoingMessage.Status.QUEUED, OutgoingMessage.Status.SENDING
    with scopes_disabled():
        everything = OutgoingMessage.objects.all()
        counts = {"expired": _end(everything.filter(status=queued, expires_at__lte=now),
                                  OutgoingMessage.Status.EXPIRED, EXPIRED_UNSENT)}
        # A text given up on is kept for a re-send only while it is valid.
        everything.filter(status=OutgoingMessage.Status.FAILED, expires_at__lte=now).exclude(payload="").update(
            payload="")
        stuck = everything.filter(status=sending).filter(
            Q(claimed_at__lte=now - settings.OUTBOX_SENDING_TIMEOUT)
            | Q(claimed_at__isnull=True, created_at__lte=now - settings.OUTBOX_SENDING_TIMEOUT))
        counts["stuck_expired"] = _end(stuck.filter(expires_at__lte=now), OutgoingMessage.Status.EXPIRED,
                                       EXPIRED_UNSENT)
        counts["stuck_failed"] = (
            _end(stuck.filter(has_code=True), OutgoingMessage.Status.FAILED, STUCK_WITH_CODE)
            + _end(stuck.filter(payload=""), OutgoingMessage.Status.FAILED, TEXT_NOT_KEPT)
            + _end(stuck.filter(attempts__gte=MAX_DELIVERY_ATTEMPTS), OutgoingMessage.Status.FAILED,
                   "отправка прервалась на последней попытке", keep_text=True))
        counts["stuck_requeued"] = stuck.update(status=queued, due_at=now)
        counts["published"] = _messages_publish_due(everything, now)
    if any(counts.values()):
        logger.info("Outbox sweep: %s", counts)
    return counts


def _messages_publish_due(messages, now):
    """Publish again the queued rows whose due time has passed, a batch at a time: each batch
    is claimed (its due time moved on) under skip-locked row locks and committed before it is
    published, so a second sweep running meanwhile takes other rows or none."""
    published = 0
    for _batch in range(50):  # at most 10,000 a sweep; the next sweep takes the rest
        with transaction.atomic():
            due = list(messages.select_for_update(skip_locked=True).filter(
                status=OutgoingMessage.Status.QUEUED, due_at__lte=now).order_by("due_at")
                .values_list("pk", "tenant_id")[:settings.OUTBOX_SWEEP_BATCH])
            messages.filter(pk__in=[pk for pk, _tenant in due]).update(
                due_at=now + timedelta(seconds=settings.OUTBOX_REPUBLISH_AFTER))
        for pk, tenant_id in due:
            if not _publish(tenant_id, pk):
                return published  # the broker is down: the rows stay due for the next sweep
            published += 1
        if len(due) < settings.OUTBOX_SWEEP_BATCH:
            break
    return published


@transaction.atomic
def messages_resend(messages):
    """An admin's «Отправить ещё раз»: each of ``messages`` that can be (OutgoingMessage.
    can_be_resent) is queued again with its tries counted afresh, and the audit trail gets an
    entry for each (the table is not tracked by the library: its rows are written by the
    portal as it sends). Returns how many."""
    resent = 0
    now = timezone.now()
    for message in messages.select_for_update().filter(status=OutgoingMessage.Status.FAILED, expires_at__gt=now) \
            .exclude(payload=""):
        changes = {"status": [message.status, OutgoingMessage.Status.QUEUED], "attempts": [str(message.attempts), "0"],
                   "error": [message.error, ""]}
        message.status, message.attempts, message.error = OutgoingMessage.Status.QUEUED, 0, ""
        message.due_at = now + timedelta(seconds=settings.OUTBOX_REPUBLISH_AFTER)
        message.save(update_fields=["status", "attempts", "error", "due_at"])
        # The trail's entry (written only in an admin request, as every entry): the state,
        # never the text; named without its recipient, so it keeps no one's address.
        trail = get_logentry_model()
        trail.objects.log_create(
            message, action=trail.Action.UPDATE, changes=changes,
            object_repr=f"{message.get_channel_display()} № {message.pk}")
        transaction.on_commit(lambda message=message: _publish(message.tenant_id, message.pk))
        resent += 1
    return resent


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
    """Delete the files of the FileFields' folders that no row names and that are older
    than ``min_age`` seconds: what a request wrote before its transaction rolled back (an
    attachment of an appeal whose save failed, an upload of an import the request did not
    commit), or a process killed between the two. Returns [(storage location, name)].

    Why a sweep rather than writing files after commit: the row must hold the name the
    storage gives the file (names are unique only when written), and a file written after
    commit is lost when the process dies in between, leaving a row that names nothing, a
    download that fails. Written first, the worst case is a file nobody names, which this
    removes a day later. Only each field's own folder is walked (its ``upload_to``, or the
    ``folder`` a callable upload_to declares), never a storage's whole root: an export
    written beside them, a storage pointed at a parent folder, are not touched."""
    now = time.time() if now is None else now
    named, folders = defaultdict(set), defaultdict(set)
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.FileField):
                continue
            location = getattr(field.storage, "location", None)
            folder = _upload_folder(field)
            if location is None or not folder:  # not a folder of this machine's, or none declared
                continue
            folders[location].add(folder)
            with scopes_disabled():
                rows = model._base_manager.exclude(**{field.attname: ""}).values_list(field.attname, flat=True)
                named[location].update(rows.iterator(chunk_size=10_000))
    deleted = []
    for location, under in folders.items():
        for folder in sorted(under):
            if any(folder != other and folder.startswith(other) for other in under):
                continue  # walked with the folder it is in
            for directory, _folders, names in os.walk(os.path.join(location, folder)):
                for name in names:
                    if name.startswith("."):
                        continue
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


def _upload_folder(field):
    """The folder a FileField writes under ("receipts/"): its upload_to up to the last "/"
    before any date pattern, or a callable's ``folder``; "" when it names none."""
    upload_to = field.upload_to
    folder = getattr(upload_to, "folder", "") if callable(upload_to) else upload_to.split("%", 1)[0]
    return folder[: folder.rfind("/") + 1]
