"""The audit trail: django-auditlog's log entry with the tenant it belongs to.

``AUDITLOG_LOGENTRY_MODEL`` points the library at ``AuditEntry``, so its receivers, its
middleware and its diffing write here. The entry carries the tenant of the changed object
(users, consents, links, payments, appeals all have a ``tenant`` column), so its default
manager is tenant-scoped like every other table, and a tenant reads only its own trail.
"""

from operator import attrgetter

from auditlog.models import AbstractLogEntry, LogEntryManager
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from portal.models import Tenant
from portal.scoping import active_tenant_scope, tenant_scoped_manager

from .recording import is_recording

# What an erased value is stored as (audit.services.entries_erase_subject), and shown as.
ERASED = "<erased>"
ERASED_LABEL = _("стёрто по запросу на удаление")
# What a secret's change is stored as (audit.services.entry_secret_changed): that there was
# one before and after, never a value, not even a hash.
SECRET, NEW_SECRET, NO_SECRET = "<secret>", "<new secret>", "<no secret>"
SECRET_LABELS = {
    SECRET: _("задан (не записывается)"), NEW_SECRET: _("новый (не записывается)"), NO_SECRET: _("не задан"),
}
ACTION_NAMES = {
    AbstractLogEntry.Action.CREATE: _("создание"),
    AbstractLogEntry.Action.UPDATE: _("изменение"),
    AbstractLogEntry.Action.DELETE: _("удаление"),
    AbstractLogEntry.Action.ACCESS: _("просмотр"),
}


def tenant_id_of(instance):
    """The changed object's tenant; the request's for an object without a tenant column."""
    if any(field.name == "tenant" for field in instance._meta.concrete_fields):
        return instance.tenant_id
    tenant = active_tenant_scope(default=None)
    return tenant.pk if tenant else None


def subject_id_of(instance):
    """The user whose data the object is (audit.apps.SUBJECTS), or None."""
    from .apps import SUBJECTS

    path = SUBJECTS.get(instance._meta.label)
    if path is None:
        return None
    try:
        return attrgetter(path)(instance)
    except ObjectDoesNotExist:
        return None


class AuditEntryManager(LogEntryManager):
    """The library's manager, writing only inside an admin request (audit.recording) and
    stamping each entry with its object's tenant."""

    def log_create(self, instance, force_log=False, **kwargs):
        if not is_recording():
            return None
        kwargs.setdefault("tenant_id", tenant_id_of(instance))
        kwargs.setdefault("subject_id", subject_id_of(instance))
        return super().log_create(instance, force_log=force_log, **kwargs)

    def log_m2m_changes(self, changed_queryset, instance, operation, field_name, **kwargs):
        if not is_recording():
            return None
        kwargs.setdefault("tenant_id", tenant_id_of(instance))
        kwargs.setdefault("subject_id", subject_id_of(instance))
        return super().log_m2m_changes(changed_queryset, instance, operation, field_name, **kwargs)


class AuditEntry(AbstractLogEntry):
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("организация"),
        help_text=_("Пусто — запись платформы."),
    )
    # The customer whose data changed; their deletion request erases the values (audit.services).
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("чьи данные"),
    )

    objects = tenant_scoped_manager(base=AuditEntryManager)()

    class Meta(AbstractLogEntry.Meta):
        verbose_name = _("запись журнала")
        verbose_name_plural = _("журнал действий сотрудников")
        indexes = [models.Index(fields=["tenant", "-timestamp"], name="audit_entry_tenant_time")]

    def __str__(self):
        action = capfirst(ACTION_NAMES.get(self.action, ""))
        return f"{action}: {ERASED_LABEL if self.object_repr == ERASED else self.object_repr}"

    def save(self, *args, **kwargs):
        # An entry is written once. (Erasure under 152-FZ blanks personal data with a
        # queryset update, audit.privacy, and says so in the entry.)
        if not self._state.adding:
            raise PermissionDenied("Audit entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("Audit entries are never deleted.")


def entries_forget_deleted_user(sender, instance, **kwargs):
    """A user deleted in the admin (not erased: that is privacy's, which keeps the row):
    the entries about their data keep no subject, as SET_NULL does for the older ones. Those
    this deletion has just written too (the user's, their links'...), which the database
    would refuse at commit: the deletion collected the entries before writing them."""
    AuditEntry._base_manager.filter(subject_id=instance.pk).update(subject=None)


def entries_delete_with_tenant(sender, instance, **kwargs):
    """A deleted tenant takes its trail along, the entries its deletion has just written
    (one per deleted row) included. The tenant's own deletion is a platform entry."""
    AuditEntry._base_manager.filter(tenant_id=instance.pk).delete()
