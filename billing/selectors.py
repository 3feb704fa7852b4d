"""Reads the consumer's pages need, each a fixed number of queries however many periods,
meters or accounts there are (tests assert the counts)."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import OuterRef, Subquery, Sum

from portal.months import add_months

from .models import Account, BillingPayment, Charge, Contract, Invoice

INVOICES_FIRST_PAGE = 6


def contracts_for_user(user):
    """The contracts a user sees: all of their counterparty's (guide 000), one query."""
    return list(
        Contract.objects.filter(counterparty__account=user).select_related("supplier").order_by("number")
    )


@dataclass
class AccountOverview:
    account: Account
    period: date | None = None
    charges: list = field(default_factory=list)  # the last period's, one per service
    to_pay: Decimal | None = None  # the last period's closing balance; negative: overpaid
    due_on: date | None = None
    meters: list = field(default_factory=list)  # meters.selectors.meter_lines, where a page shows them
    last_payment: BillingPayment | None = None

    @property
    def overpaid(self):
        return self.to_pay is not None and self.to_pay < 0


def account_overview(account, *, full=True):
    """What billing says of one account on the overview (2 queries; 1 with basic access: no
    payment). The meters are meters' to read: a page that shows them fills ``meters``."""
    overview = AccountOverview(account=account)
    # The last period's charges in one query: the period is a subquery.
    last_period = Charge.objects.filter(account=account).order_by("-period").values("period")[:1]
    overview.charges = list(Charge.objects.filter(account=account, period=Subquery(last_period)).order_by("service"))
    if overview.charges:
        overview.period = overview.charges[0].period
        overview.to_pay = sum((charge.closing_balance for charge in overview.charges), Decimal(0))
        due = [charge.due_on for charge in overview.charges if charge.due_on]
        overview.due_on = max(due) if due else None
    if full:
        overview.last_payment = BillingPayment.objects.filter(account=account).order_by("-paid_at").first()
    return overview


def last_period_totals(account_ids):
    """{account id: its last period's closing balance} (no key without charges), one query."""
    last_period = Charge.objects.filter(account_id=OuterRef("account_id")).order_by("-period").values("period")[:1]
    rows = (
        Charge.objects.filter(account_id__in=account_ids, period=Subquery(last_period))
        .values("account_id").annotate(total=Sum("closing_balance"))
    )
    return {row["account_id"]: row["total"] for row in rows}


def invoice_number(account, period):
    """The number of the account's invoice for ``period`` ("" without one)."""
    if period is None:
        return ""
    return Invoice.objects.filter(account=account, period=period).values_list("number", flat=True).first() or ""


def invoice_of(account, period):
    """The account's invoice for ``period``, or None; one query."""
    return Invoice.objects.filter(account=account, period=period).first()


def invoices(account, *, all_periods=False):
    queryset = Invoice.objects.filter(account=account).order_by("-period")
    return list(queryset if all_periods else queryset[:INVOICES_FIRST_PAGE])


@dataclass
class History:
    charges: list
    payments: list
    services: list
    totals: dict


def history(account, *, service=None, since=None, until=None):
    """Charges by period and service and billing's payments, filtered; with totals (2 queries)."""
    charges = Charge.objects.filter(account=account)
    payments = BillingPayment.objects.filter(account=account)
    if service:
        charges = charges.filter(service=service)
    if since:
        charges = charges.filter(period__gte=since)
        payments = payments.filter(paid_at__date__gte=since)
    if until:
        charges = charges.filter(period__lte=until)
        payments = payments.filter(paid_at__date__lt=add_months(until, 1))
    charges = list(charges.order_by("-period", "service"))
    payments = list(payments.order_by("-paid_at"))
    totals = {
        "charged": sum((charge.charged for charge in charges), Decimal(0)),
        "recalculated": sum((charge.recalculated for charge in charges), Decimal(0)),
        "paid": sum((payment.amount for payment in payments), Decimal(0)),
    }
    services = sorted({charge.service for charge in charges})
    return History(charges=charges, payments=payments, services=services, totals=totals)



