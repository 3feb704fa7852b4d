"""``payments_export.csv`` (shared/EXCHANGE.md): the portal's succeeded payments, through the
same export machinery as readings (billing/exports.py: marked in one transaction, nothing
sent twice, nothing missed)."""

from django.utils import timezone

from billing.exports import ExportKind, run_export
from billing.models import ExportRun

from .models import Payment

PAYMENTS_COLUMNS = ["supplier", "account_number", "paid_at", "amount", "provider", "provider_payment_id",
                    "invoice_number"]


def _payment_row(payment):
    return [
        payment.account.supplier.code, payment.account.number,
        timezone.localtime(payment.succeeded_at).isoformat(timespec="seconds"),
        f"{payment.amount - payment.refunded_amount:.2f}",
        payment.provider, payment.provider_payment_id, payment.invoice_number,
    ]


PAYMENTS = ExportKind(
    kind=ExportRun.Kind.PAYMENTS,
    columns=PAYMENTS_COLUMNS,
    row=_payment_row,
    related=("account__supplier",),
    # What the utility received: a payment refunded in full before the export is not sent,
    # one refunded in part is sent net. A refund after the export is staff's to tell billing:
    # EXCHANGE.md's file has no way to take a payment back.
    unsent=lambda tenant: Payment.objects.filter(
        tenant=tenant, status=Payment.Status.SUCCEEDED, export__isnull=True
    ),
    mark={},
    in_period=lambda tenant, first, after: Payment.objects.filter(
        tenant=tenant, status=Payment.Status.SUCCEEDED,
        succeeded_at__date__gte=first, succeeded_at__date__lt=after,
    ),
)


def export_payments(tenant, out_dir, *, period=None, now=None):
    """Export the portal's succeeded payments: those not yet exported (and mark them), or
    with ``period`` those that succeeded in that month (in the portal's time zone)."""
    return run_export(PAYMENTS, tenant, out_dir, period=period, now=now)
