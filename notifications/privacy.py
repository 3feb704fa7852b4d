"""The person's own data in this app (152-FZ), found by the privacy app: their subscription
choices and the notices sent to them. Erasing deletes both (a notice row holds only whom,
what and when; nothing of it has to be kept)."""

from .models import Notification, Subscription


def export_user_data(user):
    subscriptions = [
        {
            "reading_reminders": row.reading_reminders,
            "invoice_notices": row.invoice_notices,
            "by_email": row.by_email,
            "by_sms": row.by_sms,
            "updated_at": row.updated_at.isoformat(),
        }
        for row in Subscription.objects.filter(user=user)
    ]
    notifications = [
        {"kind": row.kind, "subject": row.key, "channels": row.channels, "sent_at": row.created_at.isoformat()}
        for row in Notification.objects.filter(user=user).order_by("created_at", "pk")
    ]
    return {"subscriptions": subscriptions, "notifications": notifications}


def erase_user_data(user):
    Notification.objects.filter(user=user).delete()
    Subscription.objects.filter(user=user).delete()
