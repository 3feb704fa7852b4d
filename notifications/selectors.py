"""Who is told what: set-based queries, read in chunks by key (constant memory at any size).

Everything runs inside the tenant's scope. A recipient is an active user with a link to the
account, who wants this kind of notice and has a channel: e-mail switched on and a confirmed
address, or SMS switched on and a confirmed phone. A user without a ``Subscription`` row has
the defaults of ``models.defaults_for``, applied here in SQL (COALESCE over the LEFT JOIN).
"""

from dataclasses import dataclass

from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q, Value
from django.db.models.functions import Coalesce

from billing.access import Need, basic_gives
from billing.models import Account, AccountLink, Invoice, Supplier
from meters.models import Meter, Reading
from meters.services import reading_window

CHUNK = 2000

_SUBSCRIPTION = "user__notification_subscription__"


@dataclass(frozen=True)
class Recipient:
    user_id: int
    account_id: int
    account_number: str
    full: bool
    email: str  # "" when not sent by e-mail
    phone: str  # "" when not sent by SMS

    @property
    def channels(self):
        return ",".join(name for name, to in (("email", self.email), ("sms", self.phone)) if to)


def recipients(links, wants):
    """``links`` (AccountLink queryset) narrowed to those whose user wants ``wants``
    ("reading_reminders" or "invoice_notices") and can be reached, with the channels."""
    no_email = ExpressionWrapper(Q(user__email=""), output_field=BooleanField())
    return (
        links.filter(user__is_active=True, account__closed_on__isnull=True)
        .annotate(
            wants=Coalesce(F(_SUBSCRIPTION + wants), Value(True)),
            by_email=Coalesce(F(_SUBSCRIPTION + "by_email"), Value(True)),
            by_sms=Coalesce(F(_SUBSCRIPTION + "by_sms"), no_email),
        )
        .filter(wants=True)
        .filter(
            Q(by_email=True, user__email_verified=True) & ~Q(user__email="")
            | Q(by_sms=True, user__phone_verified=True) & ~Q(user__phone="")
        )
    )


def _rows(links):
    return links.values_list(
        "pk", "user_id", "account_id", "account__number", "access", "by_email", "user__email", "by_sms",
        "user__phone", "user__email_verified", "user__phone_verified",
    )


def _recipient(row):
    _pk, user_id, account_id, number, access, by_email, email, by_sms, phone, email_ok, phone_ok = row
    return Recipient(
        user_id=user_id, account_id=account_id, account_number=number, full=access == AccountLink.Access.FULL,
        email=email if by_email and email_ok else "", phone=phone if by_sms and phone_ok else "",
    )


def in_chunks(links, size=CHUNK):
    """Lists of Recipients, ``size`` at a time, by link id (keyset: no OFFSET, no cursor held
    across the callers' transactions)."""
    last = 0
    while True:
        rows = list(_rows(links.filter(pk__gt=last).order_by("pk")[:size]))
        if not rows:
            return
        last = rows[-1][0]
        yield [_recipient(row) for row in rows]


# --- Reading reminders ------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """Accounts of one supplier and subscriber type: they share a window."""

    supplier_id: int
    subscriber_type: str
    state: object  # meters.services.WindowState


def window_groups(today):
    """Each supplier and subscriber type of the tenant with its window's state today (a
    handful of rows: the window rule of meters.services, asked once per pair)."""
    groups = []
    for supplier in Supplier.objects.all():
        for subscriber_type in Account.SubscriberType.values:
            probe = Account(tenant_id=supplier.tenant_id, supplier_id=supplier.pk, subscriber_type=subscriber_type)
            groups.append(Group(supplier.pk, subscriber_type, reading_window(probe).on(today)))
    return groups


def opens_today(group, today):
    return group.state.state == "open" and today.day == group.state.first


CLOSING_DAYS_AHEAD = 2


def closing_soon(group, today):
    """Two days before the last day (not on the day it opened: that reminder is enough)."""
    return group.state.state == "open" and group.state.days == CLOSING_DAYS_AHEAD and today.day != group.state.first


def reminder_links(groups, *, period, closing, policy):
    """Links that may submit readings (the readings page's need, billing.access under the
    tenant's ``policy``) to open accounts of ``groups`` that have a meter in service; for
    ``closing``, only accounts with no reading submitted for ``period`` yet."""
    if not groups:
        return AccountLink.objects.none()
    of_groups = Q()
    for group in groups:
        of_groups |= Q(account__supplier_id=group.supplier_id, account__subscriber_type=group.subscriber_type)
    links = AccountLink.objects.filter(of_groups)
    if Need.PAY not in basic_gives(policy):
        links = links.filter(access=AccountLink.Access.FULL)
    links = links.filter(
        Exists(Meter.objects.filter(account_id=OuterRef("account_id"), archived_on__isnull=True))
    )
    if closing:
        submitted = Reading.objects.filter(
            meter__account_id=OuterRef("account_id"), period=period, submitted_at__isnull=False,
        ).exclude(status__in=Reading.NOT_COUNTED)
        links = links.filter(~Exists(submitted))
    return recipients(links, "reading_reminders")


# --- Invoice notices ----------------------------------------------------------------------


def new_invoices(*, above, up_to, since, size=CHUNK):
    """Invoices with ids in (above, up_to] for periods from ``since``, ``size`` at a time."""
    last = above
    invoices = Invoice.objects.filter(pk__lte=up_to, period__gte=since).order_by("pk")
    while True:
        chunk = list(invoices.filter(pk__gt=last).values("pk", "account_id", "period", "number", "total", "due_on")[:size])
        if not chunk:
            return
        last = chunk[-1]["pk"]
        yield chunk


def invoice_recipients(account_ids):
    """Recipients among the links to ``account_ids`` (basic links included: they get a
    notice without the amount)."""
    links = recipients(AccountLink.objects.filter(account_id__in=account_ids), "invoice_notices")
    return [_recipient(row) for row in _rows(links.order_by("pk"))]
