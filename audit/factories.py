"""Rows of the audit model, for tests that walk every table (the admin)."""


def audit_entry_rows(obj, *, actor=None):
    """An entry saying ``actor`` changed ``obj``'s e-mail, in ``obj``'s tenant."""
    from django.contrib.contenttypes.models import ContentType

    from .models import AuditEntry

    entry = AuditEntry._base_manager.create(
        tenant_id=obj.tenant_id, content_type=ContentType.objects.get_for_model(obj), object_pk=str(obj.pk),
        object_id=obj.pk, object_repr=str(obj), action=AuditEntry.Action.UPDATE, actor=actor,
        changes={"email": ["old@example.com", "new@example.com"]},
    )
    return {"audit_entry": entry}
