"""What the customer's pages show of appeals."""

from django.db.models import Count, Max, Q

from .models import Appeal, AppealsPolicy, Topic


def appeals_of(user):
    """The user's appeals and applications, newest first, with their message counts."""
    return list(
        Appeal.objects.filter(author=user).select_related("topic", "account")
        .annotate(sent=Count("messages", filter=Q(messages__from_staff=False)),
                  received=Count("messages", filter=Q(messages__from_staff=True)),
                  last_message_at=Max("messages__created_at"))
        .order_by("-created_at")[:200]
    )


def appeal_of(user, public_id):
    """The user's own appeal by its public id, or None (another's is None alike)."""
    try:
        return Appeal.objects.select_related("topic", "account").filter(author=user, public_id=public_id).first()
    except (ValueError, TypeError):
        return None


def thread(appeal):
    """The appeal's messages with their attachments (two queries)."""
    return list(appeal.messages.select_related("author").prefetch_related("attachments"))


def topics_for_appeals():
    """The topics a new appeal offers: the tenant's active ones, support's aside."""
    return list(Topic.objects.filter(is_active=True, is_support=False))


def support_topic():
    return Topic.objects.filter(is_support=True, is_active=True).first()


def policy_of(tenant):
    return AppealsPolicy.objects.filter(tenant=tenant).first() or AppealsPolicy(tenant=tenant)
