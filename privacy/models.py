"""A person's request to delete their account (152-FZ, art. 21: withdrawal of consent).

The person asks (password typed again); staff confirm or reject it in the admin; a
confirmed request is carried out by ``privacy.tasks.carry_out_deletion`` and then completed. A
person has at most one open request (requested, or confirmed and not yet carried out), and
may cancel it while it is only requested.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.models import Tenant
from portal.scoping import tenant_scoped_manager


class DeletionRequest(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("ожидает решения")
        CONFIRMED = "confirmed", _("подтверждён, выполняется")
        REJECTED = "rejected", _("отклонён")
        CANCELED = "canceled", _("отменён пользователем")
        COMPLETED = "completed", _("выполнен")

    OPEN = (Status.REQUESTED, Status.CONFIRMED)
    TRANSITIONS = {
        Status.REQUESTED: {Status.CONFIRMED, Status.REJECTED, Status.CANCELED},
        Status.CONFIRMED: {Status.COMPLETED},
        Status.REJECTED: set(),
        Status.CANCELED: set(),
        Status.COMPLETED: set(),
    }

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("организация"))
    # The user row outlives the erasure (anonymised), so the request keeps pointing at it.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deletion_requests",
                             verbose_name=_("пользователь"))
    status = models.CharField(_("состояние"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    reason = models.TextField(_("причина (со слов пользователя)"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("подан"), auto_now_add=True)
    decided_at = models.DateTimeField(_("решение принято"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("кто принял решение"))
    completed_at = models.DateTimeField(_("данные удалены"), null=True, blank=True)

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("запрос на удаление учётной записи")
        verbose_name_plural = _("запросы на удаление учётных записей")
        ordering = ["-created_at"]
        constraints = [
            # Two tabs or a double click file one request.
            models.UniqueConstraint(fields=["user"], condition=Q(status__in=["requested", "confirmed"]),
                                    name="deletion_request_one_open"),
        ]

    def __str__(self):
        return f"№ {self.pk} ({self.get_status_display()})"

    @property
    def is_open(self):
        return self.status in self.OPEN

    def can_become(self, status):
        return status in self.TRANSITIONS[self.Status(self.status)]
