"""Rows of every privacy model for a user, for tests that walk every table (the admin)."""


def deletion_request_rows(user, *, status="requested"):
    """A deletion request of ``user`` (an open one by default)."""
    from .models import DeletionRequest

    request = DeletionRequest._base_manager.create(tenant=user.tenant, user=user, status=status,
                                                   reason="Больше не пользуюсь")
    return {"deletion_request": request}
