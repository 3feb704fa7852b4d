"""The payments a user made in the portal, for the privacy app (privacy/registry.py
explains the contract)."""

from .models import Payment


def export_user_data(user):
    payments = Payment.objects.filter(user=user).select_related("account__supplier").order_by("created_at", "pk")
    return {"payments": [{
        "number": str(payment.public_id),
        "account_number": payment.account.number,
        "supplier": payment.account.supplier.name,
        "kind": payment.get_kind_display(),
        "amount": payment.amount,
        "period": payment.period,
        "invoice_number": payment.invoice_number,
        "status": payment.get_status_display(),
        "created_at": payment.created_at,
        "succeeded_at": payment.succeeded_at,
        "refunded_amount": payment.refunded_amount,
    } for payment in payments]}


def erase_user_data(user):
    """Payments are accounting records the law keeps (402-FZ): they stay, without the payer.
    An update, not save(): Payment.save guards the status and the frozen fields, and the
    payer is neither."""
    Payment.objects.filter(user=user).update(user=None)
