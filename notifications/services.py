"""Sending notices once, the unsubscribe token and the person's own choices.

A run works in chunks, each in a transaction of its own: insert the chunk's ``Notification``
rows (ON CONFLICT DO NOTHING, marked with a fresh token), read back the rows carrying the
token (those this run inserted) and queue their messages through portal.services, whose
tasks are queued when the chunk commits. A second run, or one running at the same time
(PostgreSQL makes its conflicting insert wait for the first to commit), inserts nothing and
sends nothing; a run that dies mid-chunk rolls the chunk back and the next run sends it.
"""

import uuid

from django.core import signing
from django.db import transaction
from django.db.models.functions import Greatest
from django.template.loader import render_to_string
from django.urls import reverse

from billing.models import Invoice
from portal.hosts import tenant_base_url
from portal.months import add_months
from portal.services import message_send_email, message_send_sms

from . import selectors
from .models import InvoiceWatermark, Notification, Subscription, defaults_for

Kind = Notification.Kind

# What each kind of notice is about, which is what its unsubscribe link switches off.
TOPIC = {
    Kind.READING_WINDOW_OPENS: "reading_reminders",
    Kind.READING_WINDOW_CLOSING: "reading_reminders",
    Kind.NEW_INVOICE: "invoice_notices",
}
TOPICS = ("reading_reminders", "invoice_notices")

# --- The person's choices -----------------------------------------------------------------


def subscription_ensure(user):
    """The user's Subscription, written with the defaults on first use."""
    subscription, _created = Subscription.objects.get_or_create(
        user=user, defaults={"tenant_id": user.tenant_id, **defaults_for(user)})
    return subscription


# --- One-click unsubscribe ----------------------------------------------------------------

UNSUBSCRIBE_SALT = "notifications.unsubscribe"


def unsubscribe_token(*, user_id, tenant_id, topic):
    """A signed token for one purpose: switch ``topic`` off for this user of this tenant.
    It does not expire: a link in an old e-mail must still work, and it can do nothing else."""
    return signing.dumps({"u": user_id, "t": tenant_id, "w": topic}, salt=UNSUBSCRIBE_SALT, compress=False)


def unsubscribe_token_read(token, *, tenant):
    """(user_id, topic) of a valid token made for ``tenant``; None for anything else."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or tenant is None or data.get("t") != tenant.pk or data.get("w") not in TOPICS:
        return None
    if not isinstance(data.get("u"), int):
        return None
    return data["u"], data["w"]


def subscription_unsubscribe(*, user, topic):
    subscription = subscription_ensure(user)
    if getattr(subscription, topic):
        setattr(subscription, topic, False)
        subscription.save(update_fields=[topic, "updated_at"])
    return subscription


def unsubscribe_url(tenant, user_id, topic):
    token = unsubscribe_token(user_id=user_id, tenant_id=tenant.pk, topic=topic)
    return tenant_base_url(tenant) + reverse("notifications:unsubscribe", args=[token])


# --- Sending ----------------------------------------------------------------------------------


def _render(name, context):
    return render_to_string(f"notifications/messages/{name}", context).strip()


def _send(tenant, kind, recipient, context):
    link = unsubscribe_url(tenant, recipient.user_id, TOPIC[kind])
    context = {"tenant": tenant, "recipient": recipient, "unsubscribe_url": link, **context}
    if recipient.email:
        headers = {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        message_send_email(tenant=tenant, to=recipient.email, subject=_render(f"{kind}.subject.txt", context),
                           body=_render(f"{kind}.email.txt", context), headers=headers, user_id=recipient.user_id)
    if recipient.phone:
        message_send_sms(tenant=tenant, to=recipient.phone, text=_render(f"{kind}.sms.txt", context),
                         user_id=recipient.user_id)


def notices_send_once(tenant, kind, items):
    """Record and send ``kind`` for each (recipient, key, context) of ``items`` whose (user,
    key) was not recorded before; returns how many were sent. One transaction: the caller
    gives one chunk."""
    if not items:
        return 0
    run = uuid.uuid4()
    with transaction.atomic():
        Notification.objects.bulk_create(
            [Notification(tenant=tenant, user_id=recipient.user_id, kind=kind, key=key, run=run,
                          channels=recipient.channels)
             for recipient, key, _context in items],
            ignore_conflicts=True,
        )
        inserted = set(Notification.objects.filter(run=run).values_list("user_id", "key"))
        sent = 0
        for recipient, key, context in items:
            if (recipient.user_id, key) in inserted:
                _send(tenant, kind, recipient, context)
                sent += 1
    return sent


def _base_context(tenant):
    return {"portal_url": tenant_base_url(tenant)}


def reminders_send(*, tenant, today=None, chunk=selectors.CHUNK):
    """Today's reading reminders of ``tenant`` (its own date): «приём открылся» to accounts
    whose window opened today, «осталось два дня» to those whose window closes in two days
    and that have no reading for this period. Returns {kind: sent}."""
    today = today or tenant.today()
    period = today.replace(day=1)
    groups = selectors.window_groups(today)
    base = _base_context(tenant)
    sent = {}
    for kind, wanted, closing in (
        (Kind.READING_WINDOW_OPENS, selectors.opens_today, False),
        (Kind.READING_WINDOW_CLOSING, selectors.closing_soon, True),
    ):
        sent[kind] = 0
        # One query per supplier and subscriber type: the window (its days) is theirs.
        for group in [group for group in groups if wanted(group, today)]:
            links = selectors.reminder_links([group], period=period, closing=closing, policy=tenant.policy)
            context = {**base, "period": period, "window": group.state}
            for recipients in selectors.in_chunks(links, chunk):
                sent[kind] += notices_send_once(tenant, kind, [
                    (recipient, f"{recipient.account_id}:{period:%Y-%m}", {
                        **context, "readings_url": base["portal_url"] + reverse(
                            "meters:readings", args=[recipient.account_id])})
                    for recipient in recipients
                ])
    return sent


# Invoices of older periods are not news: a tenant's first import brings years of them.
INVOICE_RECENT_MONTHS = 2


def invoices_notify(*, tenant, chunk=selectors.CHUNK):
    """Tell the subscribers of accounts with invoices above the tenant's watermark (for the
    last INVOICE_RECENT_MONTHS periods): full access with the amount and due date, basic
    access without them (basic access does not show invoices). Then move the watermark up to
    the highest invoice id seen at the start. Returns how many notices were sent."""
    watermark, _created = InvoiceWatermark.objects.get_or_create(tenant=tenant)
    top = Invoice.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    since = add_months(tenant.today().replace(day=1), -INVOICE_RECENT_MONTHS)
    base = _base_context(tenant)
    sent = 0
    for invoices in selectors.new_invoices(above=watermark.last_invoice_id, up_to=top, since=since, size=chunk):
        by_account = {}
        for invoice in invoices:
            by_account.setdefault(invoice["account_id"], []).append(invoice)
        items = [
            (recipient, str(invoice["pk"]), {
                **base, "invoice": invoice,
                "invoices_url": base["portal_url"] + reverse("billing:invoices", args=[recipient.account_id]),
            })
            for recipient in selectors.invoice_recipients(list(by_account))
            for invoice in by_account[recipient.account_id]
        ]
        sent += notices_send_once(tenant, Kind.NEW_INVOICE, items)
    InvoiceWatermark.objects.filter(pk=watermark.pk).update(last_invoice_id=Greatest("last_invoice_id", top))
    return sent
