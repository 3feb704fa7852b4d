"""The sandbox provider's side: what a real payment provider does on its own servers.

It keeps its own ledger (SandboxPayment), shows its own payment page with outcomes
(success, decline, a 3-D Secure step, abandon, a provider error whose result is unknown),
answers status requests, refunds, and sends notifications the way real providers do: later
(a Celery task with a delay), sometimes twice, sometimes out of order, retried until the
portal answers 200 (for about a day: the waits are due times in SandboxNotification that a
beat sweep reads, not countdowns in the broker), each signed with HMAC-SHA256 under the
shop's secret key.

The portal reaches it only through payments/providers/sandbox/provider.py, as it would a remote API;
it is on only where settings.PAYMENT_SANDBOX_ENABLED says so.
"""

import hashlib
import hmac
import json
import logging
import random
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.retries import MAX_COUNTDOWN

from ...models import SandboxNotification, SandboxPayment

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Sandbox-Signature"


class SandboxError(Exception):
    """A request the sandbox refuses (what a real API answers 4xx)."""


class SandboxDown(Exception):
    """The sandbox "failed" (what a real API answers 5xx): the result is unknown."""


def sign(secret, body):
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _fingerprint(**fields):
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def create(*, shop_id, idempotency_key, amount_kopecks, description, return_url, notification_url):
    """A new pending payment, or the one this key created before (the same request only)."""
    if amount_kopecks <= 0:
        raise SandboxError("amount must be positive")
    fingerprint = _fingerprint(amount=amount_kopecks, description=description, return_url=return_url)
    existing = SandboxPayment.objects.filter(shop_id=shop_id, idempotency_key=idempotency_key).first()
    if existing is None:
        try:
            with transaction.atomic():
                return SandboxPayment.objects.create(
                    shop_id=shop_id, idempotency_key=idempotency_key, request_sha256=fingerprint,
                    amount_kopecks=amount_kopecks, description=description[:300], return_url=return_url,
                    notification_url=notification_url,
                    expires_at=timezone.now() + timedelta(minutes=settings.PAYMENT_SANDBOX_EXPIRY_MINUTES),
                )
        except IntegrityError:  # the same key at the same moment: the other request's payment
            existing = SandboxPayment.objects.get(shop_id=shop_id, idempotency_key=idempotency_key)
    if existing.request_sha256 != fingerprint:
        raise SandboxError("the idempotency key was used for another request")
    return existing


def fetch(*, shop_id, payment_id):
    """The payment as it is now; an abandoned one past its time has expired (canceled)."""
    payment = SandboxPayment.objects.filter(shop_id=shop_id, pk=payment_id).first()
    if payment is None:
        raise SandboxError("no such payment")
    if payment.status == SandboxPayment.Status.PENDING and payment.expires_at <= timezone.now():
        finish(payment, succeeded=False, reason="expired_on_confirmation")
        payment.refresh_from_db()
    return payment


def finish(payment, *, succeeded, reason="", silent=False):
    """Decide a pending payment once (a second decision is ignored) and notify the shop,
    unless ``silent`` (the "provider error" outcome: the shop must ask)."""
    with transaction.atomic():
        payment = SandboxPayment.objects.select_for_update().get(pk=payment.pk)
        if payment.status != SandboxPayment.Status.PENDING:
            return payment
        payment.status = SandboxPayment.Status.SUCCEEDED if succeeded else SandboxPayment.Status.CANCELED
        payment.cancellation_reason = "" if succeeded else reason
        payment.finished_at = timezone.now()
        payment.silent = silent
        payment.save()
        if not silent:
            _schedule_notifications(payment, "payment.succeeded" if succeeded else "payment.canceled")
    return payment


def refund(*, shop_id, payment_id, amount_kopecks):
    with transaction.atomic():
        payment = SandboxPayment.objects.select_for_update().filter(shop_id=shop_id, pk=payment_id).first()
        if payment is None or payment.status != SandboxPayment.Status.SUCCEEDED:
            raise SandboxError("only a succeeded payment can be refunded")
        if amount_kopecks <= 0 or payment.refunded_kopecks + amount_kopecks > payment.amount_kopecks:
            raise SandboxError("the refund exceeds what was paid")
        payment.refunded_kopecks += amount_kopecks
        payment.save(update_fields=["refunded_kopecks"])
        _schedule_notifications(payment, "refund.succeeded")
    return payment


def _schedule_notifications(payment, event):
    """Send ``event`` after a delay; a share of them twice, a share with a stale event
    ("payment.waiting_for_capture") arriving after the final one. The notifications are rows
    written in the caller's transaction, their tasks queued after its commit (a lost task
    leaves its row to the sweep). With Celery eager (no broker: tests, the embedded mode)
    there is nothing to wait in: they go at once, in that order."""
    low, high = settings.PAYMENT_SANDBOX_NOTIFY_DELAY
    deliveries = [(event, random.uniform(low, high))]
    if random.random() < settings.PAYMENT_SANDBOX_DUPLICATE_SHARE:
        deliveries.append((event, random.uniform(low, high)))
    if event == "payment.succeeded" and random.random() < settings.PAYMENT_SANDBOX_REORDER_SHARE:
        deliveries.append(("payment.waiting_for_capture", high + 1))
    for name, delay in deliveries:
        _notification_due(payment, name, 0 if current_app.conf.task_always_eager else delay)


def _notification_due(payment, event, delay):
    notification = SandboxNotification.objects.create(payment=payment, event=event,
                                                      due_at=timezone.now() + timedelta(seconds=delay))
    transaction.on_commit(lambda: _queue(notification, delay))


def _queue(notification, delay):
    """The try after ``notification.attempts`` by a task in ``delay`` seconds, if the broker may
    hold it that long (with Celery eager, only at once); otherwise it waits for the sweep
    (send_due_notifications)."""
    from ... import tasks

    if delay <= (0 if current_app.conf.task_always_eager else MAX_COUNTDOWN):
        tasks.send_sandbox_notification.apply_async(
            kwargs={"notification_id": notification.pk, "attempt": notification.attempts},
            countdown=min(delay, MAX_COUNTDOWN))


# A real provider keeps trying for about a day; so does the sandbox: 5 s, 10 s, … 1 h, 30 tries.
NOTIFY_TRIES = 30
# How long a try may take (the HTTP timeout, and then some) before the sweep counts it lost
# (its worker died) and sends the notification again.
NOTIFY_LEASE = timedelta(minutes=2)


def retry_delay(attempts):
    """Seconds before the next try after ``attempts`` failed ones."""
    return min(3600, 5 * 2 ** (attempts - 1))


def send_notification(notification_id, attempt):
    """Make try number ``attempt`` + 1 of a notification, unless it has been made (a
    duplicated task, the sweep and a task both) or the notification is settled; what came of
    it, or None. A failed try is due again after retry_delay, until NOTIFY_TRIES."""
    claimed = SandboxNotification.objects.filter(
        pk=notification_id, status=SandboxNotification.Status.PENDING, attempts=attempt,
    ).update(attempts=attempt + 1, due_at=timezone.now() + NOTIFY_LEASE)
    if not claimed:
        return None
    notification = SandboxNotification.objects.select_related("payment").get(pk=notification_id)
    try:
        result = deliver(notification.payment, notification.event)
    except OSError as error:
        result = f"error {error}"
    except Exception as error:  # noqa: BLE001 - httpx's errors: the shop did not answer
        result = f"error {type(error).__name__}"
    now = timezone.now()
    notification.last_result = str(result)[:200]
    if result == 200:
        notification.status, notification.finished_at = SandboxNotification.Status.DELIVERED, now
    elif notification.attempts >= NOTIFY_TRIES:
        notification.status, notification.finished_at = SandboxNotification.Status.ABANDONED, now
        logger.warning("Sandbox gave up notifying %s of %s: %s", notification.payment_id, notification.event, result)
    else:
        notification.due_at = now + timedelta(seconds=retry_delay(notification.attempts))
    notification.save(update_fields=["status", "finished_at", "due_at", "last_result"])
    if notification.status == SandboxNotification.Status.PENDING:
        _queue(notification, retry_delay(notification.attempts))
    return result


def send_due_notifications(*, now=None):
    """Queue a try of every notification due (its wait is over, or its last try was lost with
    its worker); how many."""
    from ... import tasks

    due = list(SandboxNotification.objects.filter(status=SandboxNotification.Status.PENDING,
                                                  due_at__lte=now or timezone.now())
               .order_by("due_at").values_list("pk", "attempts"))
    for notification_id, attempts in due:
        tasks.send_sandbox_notification.delay(notification_id=notification_id, attempt=attempts)
    return len(due)


def notification_body(payment, event):
    return json.dumps({
        "type": "notification", "event": event,
        "object": {"id": str(payment.pk), "status": payment.status, "amount_kopecks": payment.amount_kopecks},
    }).encode()


def shop_secret(shop_id):
    """The secret the sandbox shares with a shop (a real provider keeps it on its side)."""
    from portal.scoping import scopes_disabled

    from ...models import ProviderAccount

    with scopes_disabled():
        account = ProviderAccount.objects.filter(kind=ProviderAccount.Kind.SANDBOX, shop_id=shop_id).first()
    return account.secret if account else None


def deliver(payment, event):
    """POST one signed notification to the shop; the HTTP status it answered."""
    secret = shop_secret(payment.shop_id)
    if secret is None:  # the shop is gone: nobody to tell
        return 200
    body = notification_body(payment, event)
    headers = {SIGNATURE_HEADER: sign(secret, body), "Content-Type": "application/json"}
    if settings.PAYMENT_SANDBOX_DELIVERY == "inprocess":
        return _deliver_in_process(payment.notification_url, body, headers)
    import httpx

    url, host = _reachable(payment.notification_url)
    response = httpx.post(url, content=body, headers={**headers, "Host": host}, timeout=10)
    return response.status_code


def _deliver_in_process(url, body, headers):
    """Into this process's own application, for tests and the embedded mode (no server to
    call). Django's test Client is the one in-process transport that leaves the caller's
    database connection alone."""
    from urllib.parse import urlsplit

    from django.test import Client

    parts = urlsplit(url)
    meta = {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()
            if name != "Content-Type"}
    client = Client(HTTP_HOST=parts.netloc, REMOTE_ADDR="127.0.0.1")
    return client.post(parts.path, data=body, content_type="application/json", **meta).status_code


def _reachable(url):
    """A development host «<tenant>.localhost» resolves nowhere but in browsers: connect to
    127.0.0.1 and name the host in the Host header."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.hostname and parts.hostname.endswith(".localhost"):
        port = f":{parts.port}" if parts.port else ""
        return urlunsplit(parts._replace(netloc=f"127.0.0.1{port}")), parts.netloc
    return url, parts.netloc
