"""What pages show of payments."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from billing.models import BillingPayment

from .models import Payment, ProviderAccount

# A portal payment billing has not reported this long after is not "awaiting" any more: staff
# reconcile it; the overview stops announcing it.
AWAITING_DAYS = 45


def awaiting_billing(account, *, today, user=None):
    """The account's portal payments (``user``'s only, when given) that succeeded but billing
    has not reported yet («оплачено …, ожидает учёта»): billing reports a portal payment with
    the provider's payment id as its external_id. (payments, total); one query."""
    reported = BillingPayment.objects.filter(account_id=OuterRef("account_id"),
                                             external_id=OuterRef("provider_payment_id"))
    payments = (
        Payment.objects.filter(account=account, status=Payment.Status.SUCCEEDED,
                               succeeded_at__date__gte=today - timedelta(days=AWAITING_DAYS))
        .exclude(Exists(reported)).order_by("-succeeded_at")
    )
    if user is not None:
        payments = payments.filter(user=user)
    payments = list(payments)
    return payments, sum((payment.amount for payment in payments), Decimal(0))


@dataclass(frozen=True)
class Due:
    """What an account owes now as far as the portal knows: billing's amount (the last
    period's closing balance; negative when overpaid) less what was paid here and billing has
    not posted yet, whoever paid it (the debt is the account's, not the payer's)."""

    billed: Decimal | None  # None: no charges yet
    paid: Decimal = Decimal(0)  # succeeded portal payments awaiting billing, everyone's
    paid_on: date | None = None  # the latest of them, in the tenant's time zone
    payments: list = field(default_factory=list)

    @property
    def to_pay(self):
        """What is left to pay (never below zero), or None without charges."""
        if self.billed is None:
            return None
        return max(self.billed - self.paid, Decimal(0)) if self.billed > 0 else Decimal(0)

    @property
    def state(self):
        """"none" (no charges), "overpaid", "settled" (nothing owed), "covered" (owed, and
        paid here in full: «Оплачено …, ожидает учёта») or "owed"."""
        if self.billed is None:
            return "none"
        if self.billed < 0:
            return "overpaid"
        if self.billed == 0:
            return "settled"
        return "owed" if self.to_pay > 0 else "covered"

    @property
    def covered(self):
        """The billed debt is paid here in full: paying «the debt» again would pay it twice."""
        return self.state == "covered"


def amount_due(account, *, billed, tenant):
    """The account's Due: ``billed`` (billing's closing balance, None without charges) less
    its portal payments awaiting billing (awaiting_billing, everyone's); one query."""
    payments, paid = awaiting_billing(account, today=tenant.today())
    paid_on = timezone.localtime(payments[0].succeeded_at, tenant.zone).date() if payments else None
    return Due(billed=billed, paid=paid, paid_on=paid_on, payments=payments)


def awaiting_totals(account_ids, *, today):
    """{account id: the total of its portal payments awaiting billing} (no key without
    any), everyone's, for the home's summary of several accounts; one query."""
    from django.db.models import Sum

    reported = BillingPayment.objects.filter(account_id=OuterRef("account_id"),
                                             external_id=OuterRef("provider_payment_id"))
    rows = (Payment.objects.filter(account_id__in=account_ids, status=Payment.Status.SUCCEEDED,
                                   succeeded_at__date__gte=today - timedelta(days=AWAITING_DAYS))
            .exclude(Exists(reported)).values("account_id").annotate(total=Sum("amount")).order_by())
    return {row["account_id"]: row["total"] for row in rows}


def payments_of(user, account):
    """The user's portal payments for ``account``, newest first; not those never sent to the
    provider (a confirmation page left with «Изменить»)."""
    return list(Payment.objects.filter(user=user, account=account).exclude(status=Payment.Status.CREATED)
                .order_by("-created_at")[:100])


def others_payments(user, account):
    """Succeeded portal payments of ``account`` by other people, newest first, with their
    payers (the holder sees who paid, masked); one query."""
    return list(Payment.objects.filter(account=account, status__in=[Payment.Status.SUCCEEDED, Payment.Status.REFUNDED])
                .exclude(user=user).select_related("user").order_by("-succeeded_at")[:100])


# How often beat asks about stale payments (portal/settings.py, CELERY_BEAT_SCHEDULE).
STALE_SWEEP = timedelta(minutes=5)


def next_check_at(payment):
    """When the portal asks the provider about a pending payment by itself at the latest,
    should no notification come (payments_stale, swept every STALE_SWEEP)."""
    last = max(filter(None, (payment.pending_at, payment.checked_at)), default=timezone.now())
    return last + timedelta(minutes=settings.PAYMENT_STALE_MINUTES) + STALE_SWEEP


def payment_of(user, public_id):
    """The user's payment by its public id, or None (another user's is None alike)."""
    try:
        return (Payment.objects.select_related("account__supplier", "provider_account")
                .filter(user=user, public_id=public_id).first())
    except (ValueError, TypeError):
        return None


def provider_accounts_usable():
    """Provider accounts that take payments: active, and not the sandbox where it is off."""
    accounts = ProviderAccount.objects.filter(is_active=True)
    if not settings.PAYMENT_SANDBOX_ENABLED:
        accounts = accounts.exclude(kind=ProviderAccount.Kind.SANDBOX)
    return accounts


def payments_stale(*, now=None):
    """Payments still pending well after they went to the provider, and not asked about
    lately: their notification may have been lost."""
    now = now or timezone.now()
    stale = now - timedelta(minutes=settings.PAYMENT_STALE_MINUTES)
    return (Payment.objects.filter(status=Payment.Status.PENDING, pending_at__lt=stale)
            .exclude(checked_at__gte=stale).select_related("provider_account"))
