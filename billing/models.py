"""Billing data as the utility's billing system exports it (shared/EXCHANGE.md).

So far: counterparties and their contracts, the registry against which a legal entity
registers (guide 000). Accounts, meters and charges come with the billing issue.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models import Supplier, Tenant
from portal.scoping import tenant_scoped_manager


class Counterparty(models.Model):
    """A legal entity (or entrepreneur) with contracts; one portal account per counterparty."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("организация"))
    inn = models.CharField(_("ИНН"), max_length=12)
    kpp = models.CharField(_("КПП"), max_length=9, blank=True)
    name = models.CharField(_("наименование"), max_length=500)
    short_name = models.CharField(_("краткое наименование"), max_length=255, blank=True)
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="counterparty", verbose_name=_("учётная запись"),
    )

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("контрагент")
        verbose_name_plural = _("контрагенты")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "inn"], name="counterparty_inn_unique_per_tenant")]

    def __str__(self):
        return f"{self.short_name or self.name} (ИНН {self.inn})"


class Contract(models.Model):
    """A supply contract; its phones and e-mails are the contacts a registration may use."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("действует")
        TERMINATED = "terminated", _("расторгнут")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("организация"))
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("поставщик"))
    number = models.CharField(_("номер договора"), max_length=50)
    counterparty = models.ForeignKey(Counterparty, on_delete=models.CASCADE, related_name="contracts", verbose_name=_("контрагент"))
    phones = models.TextField(_("телефоны"), blank=True, help_text=_("Через запятую, в формате +7XXXXXXXXXX."))
    emails = models.TextField(_("e-mail"), blank=True, help_text=_("Через запятую."))
    status = models.CharField(_("статус"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    signed_on = models.DateField(_("дата заключения"), null=True, blank=True)

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("договор")
        verbose_name_plural = _("договоры")
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "supplier", "number"], name="contract_number_unique_per_supplier")
        ]

    def __str__(self):
        return f"№ {self.number}"

    def clean(self):
        super().clean()
        tenant_ids = {self.tenant_id, self.counterparty.tenant_id if self.counterparty_id else self.tenant_id,
                      self.supplier.tenant_id if self.supplier_id else self.tenant_id}
        if len(tenant_ids) > 1:
            raise ValidationError(_("Договор, контрагент и поставщик должны относиться к одной организации."))

    @property
    def phone_list(self):
        return [value.strip() for value in self.phones.split(",") if value.strip()]

    @property
    def email_list(self):
        return [value.strip().lower() for value in self.emails.split(",") if value.strip()]
