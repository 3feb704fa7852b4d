"""What privacy's pages read."""

from .models import DeletionRequest


def deletion_request_open(user):
    """The user's deletion request still waiting or confirmed, or None."""
    return DeletionRequest.objects.filter(user=user, status__in=DeletionRequest.OPEN).first()
