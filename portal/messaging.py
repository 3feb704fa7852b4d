"""Transports for outgoing e-mail and SMS.

E-mail uses Django's backends (EMAIL_URL); the default writes each message to OUTBOX_DIR as
an .eml file. SMS go through a small backend interface chosen by SMS_BACKEND:
``file`` (OUTBOX_DIR, for development) or ``http`` (a gateway configured by environment).
Nothing here decides *what* to send: portal.services does, and portal.tasks delivers.

The outbox is the portal's own disk, not the person's mailbox: an erasure deletes what it
holds for the person (``outbox_delete_to``), and a message that must forget its recipient
is rewritten without it once written (``outbox_forget_recipient``). Each file names the
OutgoingMessage it delivers (``MESSAGE_HEADER``, the SMS record's ``message``).
"""

import abc
import email
import email.policy
import json
import logging
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

logger = logging.getLogger(__name__)

TENANT_HEADER = "X-Portal-Tenant"
MESSAGE_HEADER = "X-Portal-Message"


def _outbox_file(suffix):
    """A new, unique, time-sortable file name in the outbox."""
    settings.OUTBOX_DIR.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S%f")
    return settings.OUTBOX_DIR / f"{stamp}-{uuid.uuid4().hex[:8]}.{suffix}"


class OutboxEmailBackend(BaseEmailBackend):
    """Writes every message to OUTBOX_DIR as its own .eml file (Django's file backend
    appends a connection's messages to one log file, which the outbox page cannot split)."""

    def send_messages(self, email_messages):
        for message in email_messages:
            path = _outbox_file("eml")
            path.with_suffix(".tmp").write_bytes(message.message().as_bytes())
            path.with_suffix(".tmp").rename(path)  # readers never see a half-written file
        return len(email_messages)


class SmsError(Exception):
    """The SMS could not be handed to the gateway; the task retries it."""


class BaseSmsBackend(abc.ABC):
    @abc.abstractmethod
    def send(self, *, tenant_slug, to, text, message_id=None):
        """Hand one SMS to the transport; raise SmsError when it is refused. ``message_id``:
        the OutgoingMessage it delivers, for a transport that keeps a copy."""


class FileSmsBackend(BaseSmsBackend):
    def send(self, *, tenant_slug, to, text, message_id=None):
        record = {"tenant": tenant_slug, "to": to, "text": text, "sent_at": timezone.now().isoformat(),
                  "message": message_id}
        _write_sms(_outbox_file("sms.json"), record)


def _write_sms(path, record):
    path.with_suffix(".tmp").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    path.with_suffix(".tmp").rename(path)  # readers never see a half-written file


class HttpSmsBackend(BaseSmsBackend):
    """POSTs JSON {"sender", "to", "text", "tenant"} to SMS_GATEWAY_URL with a bearer token.

    Any 2xx answer is success; anything else raises SmsError so that the task retries.
    """

    def __init__(self):
        if not settings.SMS_GATEWAY_URL:
            raise ImproperlyConfigured("SMS_BACKEND=http needs SMS_GATEWAY_URL.")

    def send(self, *, tenant_slug, to, text, message_id=None):
        body = json.dumps({"sender": settings.SMS_SENDER, "to": to, "text": text, "tenant": tenant_slug}).encode()
        request = urllib.request.Request(settings.SMS_GATEWAY_URL, data=body, method="POST")
        request.add_header("Content-Type", "application/json")
        if settings.SMS_GATEWAY_TOKEN:
            request.add_header("Authorization", f"Bearer {settings.SMS_GATEWAY_TOKEN}")
        try:
            with urllib.request.urlopen(request, timeout=settings.SMS_GATEWAY_TIMEOUT) as response:
                response.read()
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise SmsError(f"SMS gateway refused the message: {error}") from error


SMS_BACKENDS = {"file": FileSmsBackend, "http": HttpSmsBackend}


def get_sms_backend():
    try:
        return SMS_BACKENDS[settings.SMS_BACKEND]()
    except KeyError:
        raise ImproperlyConfigured(f"SMS_BACKEND must be one of {sorted(SMS_BACKENDS)}.") from None


# Reading the outbox back, for the development page /dev/outbox/.


@dataclass
class OutboxEntry:
    channel: str  # "email" or "sms"
    tenant_slug: str
    to: str
    subject: str
    text: str
    sent_at: datetime
    message_id: str = ""  # the OutgoingMessage's id, as text ("" in files written before it was kept)


def read_outbox(*, tenant_slug=None, limit=50):
    """The latest messages in OUTBOX_DIR, newest first; only ``tenant_slug``'s if given
    (``""``: the platform's own, sent without a tenant)."""
    entries = []
    for _path, entry in _outbox_entries():
        if tenant_slug is None or entry.tenant_slug == tenant_slug:
            entries.append(entry)
        if len(entries) >= limit:
            break
    return entries


def _outbox_entries():
    """(path, OutboxEntry) of every message in the outbox, newest first."""
    if not settings.OUTBOX_DIR.is_dir():
        return
    for path in sorted(settings.OUTBOX_DIR.iterdir(), reverse=True):
        try:
            if path.name.endswith(".eml"):
                yield path, _read_email(path)
            elif path.name.endswith(".sms.json"):
                yield path, _read_sms(path)
        except FileNotFoundError:  # deleted meanwhile (an erasure)
            continue


def outbox_delete_to(addresses):
    """Delete every message in the outbox addressed to one of ``addresses`` (e-mail
    addresses in any case, phones as stored). Returns how many were deleted."""
    wanted = {address.strip().lower() for address in addresses if address}
    deleted = 0
    for path, entry in list(_outbox_entries()):
        if entry.to.strip().lower() in wanted:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted


def outbox_forget_recipient(message_id):
    """Rewrite the outbox's copy of OutgoingMessage ``message_id``, if a file transport wrote
    one, without its recipient."""
    for path, entry in list(_outbox_entries()):
        if entry.message_id != str(message_id):
            continue
        if entry.channel == "sms":
            record = json.loads(path.read_text(encoding="utf-8"))
            record["to"] = ""
            _write_sms(path, record)
        else:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            del message["To"]
            path.with_suffix(".tmp").write_bytes(message.as_bytes())
            path.with_suffix(".tmp").rename(path)


def _read_email(path):
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    body = message.get_body(preferencelist=("plain", "html"))
    return OutboxEntry(
        channel="email",
        tenant_slug=message.get(TENANT_HEADER) or "",
        to=message.get("To", ""),
        subject=message.get("Subject", ""),
        text=body.get_content() if body else "",
        sent_at=datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.get_current_timezone()),
        message_id=message.get(MESSAGE_HEADER) or "",
    )


def _read_sms(path):
    record = json.loads(path.read_text(encoding="utf-8"))
    return OutboxEntry(
        channel="sms",
        tenant_slug=record.get("tenant") or "",
        to=record.get("to", ""),
        subject="",
        text=record.get("text", ""),
        sent_at=datetime.fromisoformat(record["sent_at"]),
        message_id=str(record.get("message") or ""),
    )
