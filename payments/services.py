"""Payments: creating one, sending it to its provider, and learning its outcome.

The outcome comes only from the provider's status (``payment_refresh``): a notification
only says "ask now", the return page asks, and a periodic task asks about payments whose
notification never came. ``payment_apply`` moves the status under a row lock, so a replayed
or duplicated notification, two workers or a worker that dies half-way change nothing
twice: the move happens once, and its side effects (the e-mail receipt) are written in the
same transaction.
"""

import hashlib
import logging
import uuid
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import fragments
from billing.access import holders
from billing.models import AccountLink

from . import selectors
from .models import Payment, PaymentEvent, to_kopecks
from .providers import (
    NotificationRefused, PaymentRequest, ProviderError, ProviderUnavailable, notification_json, provider_for,
)
from .secrets import SecretUnreadable

logger = logging.getLogger(__name__)

# Rate limit: payments one user may start in an hour (the view applies it).
PAYMENTS_PER_HOUR = "30/h"

# The largest single payment: above it a typo (an extra zero or two) is far likelier than a
# real bill; bank cards' own limits are of this order.
MAX_AMOUNT = Decimal("500000.00")
MIN_AMOUNT = Decimal("1.00")
# How often the return page may ask the provider about one payment.
REFRESH_INTERVAL = timedelta(seconds=3)


class PaymentRefused(Exception):
    """A payment that cannot be made now; the message is for the payer."""


def provider_account_of(account):
    """The supplier's usable provider account (PaymentRefused without one)."""
    provider_account = selectors.provider_accounts_usable().filter(supplier_id=account.supplier_id).first()
    if provider_account is None:
        raise PaymentRefused(_("Оплата в личном кабинете для этого поставщика пока недоступна."))
    return provider_account


def payment_create(*, user, account, kind, amount, token, period=None, invoice_number="", readings=()):
    """The payment for form ``token``: created once however often the form is sent (a double
    click, two tabs, a retried request); the same token again returns the same payment."""
    provider_account = provider_account_of(account)
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                tenant=account.tenant, public_id=token, account=account, user=user, kind=kind, amount=amount,
                period=period, invoice_number=invoice_number, provider_account=provider_account,
                provider=provider_account.kind,
            )
            if readings:
                payment.readings.set(readings)
            return payment
    except IntegrityError:
        # The token's payment exists (the insert waited for the other request to commit).
        payment = Payment.objects.filter(public_id=token, user=user, account=account).first()
        if payment is None:
            raise PaymentRefused(_("Эта форма устарела. Откройте страницу оплаты заново.")) from None
        return payment


def payment_send(payment, *, return_url, notification_url):
    """Create the payment at the provider (once) and return where the payer goes next: the
    provider's page, or None when there is nothing to pay there any more (the status page)."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update(of=("self",)).select_related("account__supplier", "provider_account").get(
            pk=payment.pk)
        if payment.status == Payment.Status.PENDING:
            return payment.confirmation_url  # a second click, another tab
        if payment.status != Payment.Status.CREATED:
            return None
        provider = provider_for(payment.provider_account)
        request = PaymentRequest(
            idempotency_key=str(payment.public_id), amount_kopecks=payment.amount_kopecks,
            description=_description(payment), return_url=return_url, notification_url=notification_url,
            metadata={"payment": str(payment.public_id), "account": payment.account.number},
        )
        try:
            created = provider.create(request)
        except (ProviderUnavailable, SecretUnreadable) as error:
            # Unknown whether the provider made it: the retry sends the same key, which gets
            # the provider's payment if there is one, and no second. (An unreadable secret is
            # staff's to fix; the payer may try later all the same.)
            logger.warning("Provider %s: payment %s not created: %r", payment.provider, payment.pk, error)
            raise PaymentRefused(_("Платёжный сервис не ответил. Попробуйте ещё раз через минуту.")) from None
        except ProviderError as error:
            logger.error("Provider %s refused payment %s: %s", payment.provider, payment.pk, error)
            payment.status = Payment.Status.FAILED
            payment.failure_reason = _("Платёжный сервис отклонил платёж")
            payment.finished_at = timezone.now()
            payment.save()
            return None
        if created.amount_kopecks != payment.amount_kopecks:
            raise ProviderError(f"the provider created {created.amount_kopecks} kopecks, not {payment.amount_kopecks}")
        payment.provider_payment_id = created.id
        payment.confirmation_url = created.confirmation_url
        payment.status = Payment.Status.PENDING
        payment.pending_at = timezone.now()
        payment.save()
        if created.status != Payment.Status.PENDING:  # decided at once (a saved card)
            _apply(payment, created)
        return payment.confirmation_url if payment.status == Payment.Status.PENDING else None


def _description(payment):
    return _("Оплата по лицевому счёту %(number)s, %(supplier)s") % {
        "number": payment.account.number, "supplier": payment.account.supplier.name}


def payment_refresh(payment, *, force=True):
    """Ask the provider about a pending payment (or a paid one: a refund may have been made
    in the provider's own dashboard) and apply what it says. Without ``force``, not more
    often than REFRESH_INTERVAL (the return page polls). ProviderUnavailable is the
    caller's: the payment stays as it is."""
    if payment.status not in (Payment.Status.PENDING, Payment.Status.SUCCEEDED):
        return payment
    now = timezone.now()
    if not force and payment.checked_at and now - payment.checked_at < REFRESH_INTERVAL:
        return payment
    Payment.objects.filter(pk=payment.pk).update(checked_at=now)
    reported = provider_for(payment.provider_account).fetch(payment.provider_payment_id)
    return payment_apply(payment, reported)


def payment_apply(payment, reported):
    """Move ``payment`` to the status the provider reported (under a row lock, once)."""
    with transaction.atomic():
        locked = Payment.objects.select_for_update(of=("self",)).select_related("account__supplier", "user").get(pk=payment.pk)
        _apply(locked, reported)
    return locked


def _apply(payment, reported):
    if reported.id != payment.provider_payment_id:
        raise ProviderError(f"status of {reported.id} applied to payment {payment.pk}")
    if reported.amount_kopecks != payment.amount_kopecks:
        # Never mark paid an amount nobody asked for; staff look into it.
        logger.error("Payment %s: the provider reports %s kopecks, %s were asked", payment.pk,
                     reported.amount_kopecks, payment.amount_kopecks)
        return
    target = reported.status
    refunded = Decimal(reported.refunded_kopecks) / 100
    if target == Payment.Status.SUCCEEDED and refunded >= payment.amount:
        target = Payment.Status.REFUNDED
    if target == Payment.Status.REFUNDED and payment.status == Payment.Status.PENDING:
        _move(payment, Payment.Status.SUCCEEDED, reported)  # paid and refunded before we heard
    if target != payment.status and not payment.can_become(target):
        logger.warning("Payment %s: the provider reports %s after %s; kept", payment.pk, target, payment.status)
        return
    if target in (Payment.Status.SUCCEEDED, Payment.Status.REFUNDED):
        payment.refunded_amount = refunded
    _move(payment, target, reported)


def _move(payment, target, reported):
    first_success = target == Payment.Status.SUCCEEDED and payment.succeeded_at is None
    now = timezone.now()
    if first_success:
        payment.succeeded_at = now
    if target in Payment.FINAL:
        payment.finished_at = payment.finished_at or now
    if target == Payment.Status.CANCELED:
        payment.failure_reason = reported.reason[:300]
    payment.status = target
    payment.save()
    # The account's fragments are declared (payments/versions.py); the summary of every user
    # linked to the account is kept under the user's version, which a Payment row cannot name.
    for user_id in AccountLink.objects.filter(account_id=payment.account_id).values_list("user_id", flat=True):
        fragments.forget_user(user_id)
    if first_success:
        _send_receipt(payment)
        _tell_holders(payment)


def _send_receipt(payment):
    """The payment's receipt, queued in the transaction that marked it paid: once. By e-mail,
    or by SMS to a payer who has only a phone (mygaz registers by phone)."""
    from accounts.messages import notify_user

    if payment.user is not None:
        notify_user(user=payment.user, template="payments/messages/receipt", payment=payment)


def _tell_holders(payment):
    """The account's holders (full access) other than the payer learn that someone paid, and
    who (masked): in the transaction that marked it paid, so once."""
    from accounts.contacts import masked_person
    from accounts.messages import notify_user

    who = masked_person(payment.user)
    for holder in holders(payment.account, besides=payment.user):
        notify_user(user=holder, template="payments/messages/paid_by_other", payment=payment, who=who)


def payment_refund(payment, *, amount=None):
    """Refund ``amount`` (all of it by default) of a succeeded payment through its provider."""
    amount = payment.amount - payment.refunded_amount if amount is None else amount
    if payment.status != Payment.Status.SUCCEEDED or amount <= 0 or amount > payment.amount - payment.refunded_amount:
        raise PaymentRefused(_("Вернуть можно только оплаченную сумму, не больше неё."))
    provider = provider_for(payment.provider_account)
    # A new key per refund: nothing retries a refund with the same key.
    reported = provider.refund(payment.provider_payment_id, to_kopecks(amount), str(uuid.uuid4()))
    return payment_apply(payment, reported)


def notification_receive(*, provider_account, notification):
    """Authenticate a provider's notification and store it (once per body); the event to
    apply, or NotificationRefused. Its payment must be one of this provider account's."""
    provider = provider_for(provider_account)
    provider_payment_id = provider.authenticate_notification(notification)
    if not Payment.objects.filter(provider_account=provider_account,
                                  provider_payment_id=provider_payment_id).exists():
        raise NotificationRefused(f"no payment {provider_payment_id} at this provider account")
    body = notification.body
    digest = hashlib.sha256(body).hexdigest()
    event, created = PaymentEvent.objects.get_or_create(
        provider_account=provider_account, body_sha256=digest,
        defaults={"tenant": provider_account.tenant, "provider_payment_id": provider_payment_id,
                  "event": _event_name(body), "body": body.decode("utf-8", "replace")[:20000],
                  "client_ip": notification.client_ip},
    )
    if not created:
        PaymentEvent.objects.filter(pk=event.pk).update(deliveries=F("deliveries") + 1)
    return event


def _event_name(body):
    try:
        return str(notification_json(body).get("event", ""))[:50]
    except (NotificationRefused, AttributeError):
        return ""


def event_apply(event):
    """Apply what a notification is about: the payment's status, fetched from the provider."""
    payment = (Payment.objects.select_related("provider_account")
               .get(provider_account_id=event.provider_account_id, provider_payment_id=event.provider_payment_id))
    payment_refresh(payment)
    PaymentEvent.objects.filter(pk=event.pk).update(processed_at=timezone.now())


def payments_refresh_stale(*, now=None):
    """Fetch the status of every stale payment of the current tenant, each in its own try and
    its own transaction: one that fails (the provider, its secret, the database) is logged and
    counted, rolled back, and the others are still asked; the next run asks it again. A
    connection the failure broke is dropped with the transaction, and the next payment opens
    a new one. {"asked": …, "failed": …}."""
    asked = failed = 0
    for payment_id in list(selectors.payments_stale(now=now).order_by("pending_at").values_list("pk", flat=True)):
        asked += 1
        try:
            with transaction.atomic():
                payment_refresh(Payment.objects.select_related("provider_account").get(pk=payment_id))
        except ProviderError as error:  # unavailable or refusing
            failed += 1
            logger.warning("Payment %s: status not fetched: %s", payment_id, error)
        except Exception:  # noqa: BLE001 - whatever one payment meets, the others are asked
            failed += 1
            logger.exception("Payment %s: status not refreshed", payment_id)
    return {"asked": asked, "failed": failed}
