"""Privacy's staff, and rows of every privacy model for a user, for tests that walk every table
(the admin)."""


def privacy_staff(tenant, name="staff"):
    """A staff member of ``tenant`` with every permission of privacy (deletion requests)."""
    from django.contrib.auth.models import Permission

    from accounts.factories import staff_user

    return staff_user(tenant, f"{name}@{tenant.slug}", email=f"{name}@{tenant.slug}.example",
                      permissions=Permission.objects.filter(content_type__app_label="privacy"))


def deletion_request_rows(user, *, status="requested"):
    """A deletion request of ``user`` (an open one by default)."""
    from .models import DeletionRequest

    request = DeletionRequest._base_manager.create(tenant=user.tenant, user=user, status=status,
                                                   reason="Больше не пользуюсь")
    return {"deletion_request": request}
