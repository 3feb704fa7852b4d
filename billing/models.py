"""Billing data as the utility's billing system exports it (shared/EXCHANGE.md).

So far: suppliers with their account-number formats, and counterparties and their
contracts, the registry against which a legal entity registers (guide 000). Accounts,
meters and charges come with the billing issue.
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models import Tenant
from portal.scoping import tenant_scoped_manager


class Supplier(models.Model):
    """A supplier whose personal accounts consumers link, with its account-number format.

    Guide 002: one tenant, many regional suppliers. The format turns what is printed on a
    receipt into the number billing knows («023-185952» → «23185952») and validates it.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="suppliers", verbose_name=_("организация"))
    code = models.SlugField(_("код"), max_length=50, help_text=_("Код поставщика в файлах обмена с биллингом."))
    name = models.CharField(_("наименование"), max_length=255)
    account_number_separators = models.CharField(
        _("разделители, которые убираются"), max_length=20, blank=True, default=" -",
        help_text=_("Символы, которые пользователь может ввести и которые удаляются, например пробел и дефис."),
    )
    account_number_strip_leading_zeros = models.BooleanField(_("убирать ведущие нули"), default=False)
    account_number_pattern = models.CharField(
        _("шаблон номера (регулярное выражение)"), max_length=200, default=r"\d+",
        help_text=_("Проверяется после нормализации, целиком. Например \\d{10}."),
    )
    account_number_hint = models.CharField(
        _("подсказка к номеру"), max_length=500, blank=True,
        help_text=_("Показывается у поля ввода, например: «10 цифр: код участка и номер счёта»."),
    )
    is_active = models.BooleanField(_("доступен для подключения"), default=True)

    objects = tenant_scoped_manager()()

    class Meta:
        ordering = ["name"]
        verbose_name = _("поставщик")
        verbose_name_plural = _("поставщики")
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="supplier_code_unique_per_tenant")]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        try:
            re.compile(self.account_number_pattern)
        except re.error as error:
            raise ValidationError({"account_number_pattern": _("Ошибка в шаблоне: %(error)s") % {"error": error}})

    def normalize_account_number(self, raw):
        """The account number as billing knows it, from what the user typed."""
        number = raw.strip()
        for separator in self.account_number_separators:
            number = number.replace(separator, "")
        if self.account_number_strip_leading_zeros:
            number = number.lstrip("0")
        return number

    def clean_account_number(self, raw):
        """Normalise ``raw`` and validate it; ValidationError with a message for the user."""
        number = self.normalize_account_number(raw)
        if not number or not re.fullmatch(self.account_number_pattern, number):
            message = _("Номер лицевого счёта указан неверно.")
            if self.account_number_hint:
                message = f"{message} {self.account_number_hint}"
            raise ValidationError(message, code="invalid_account_number")
        return number


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
