"""Billing data as the utility's billing system exports it (shared/EXCHANGE.md).

Suppliers (with their account-number formats and payee details), counterparties and their
contracts (the registry a legal entity registers against, guide 000), personal accounts,
charges, invoices and the payments billing reports. Meters and readings live in `meters`.
Every row that billing sends has a natural key that is a unique constraint here: importing
a file twice changes nothing (portal/exchange, billing/exchange.py).
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Tenant
from portal.scoping import tenant_scoped_manager

from .bank_details import validate_payee_accounts

MONEY = {"max_digits": 14, "decimal_places": 2}


def _private_storage():
    from django.core.files.storage import storages

    return storages["private"]


class Service(models.TextChoices):
    """A utility service: what a meter measures and what a charge is for."""

    ELECTRICITY = "electricity", _("электроэнергия")
    GAS = "gas", _("газ")
    COLD_WATER = "cold_water", _("холодная вода")
    HOT_WATER = "hot_water", _("горячая вода")
    HEAT = "heat", _("отопление")


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

    # The payee of a receipt and of its payment QR code (ГОСТ Р 56042: Name, PersonalAcc,
    # BankName, BIC, CorrespAcc, PayeeINN, KPP). Blank until staff fill them in; a
    # receipt is not issued without them.
    payee_name = models.CharField(_("получатель платежа"), max_length=160, blank=True)
    inn = models.CharField(_("ИНН получателя"), max_length=12, blank=True)
    kpp = models.CharField(_("КПП получателя"), max_length=9, blank=True)
    settlement_account = models.CharField(_("расчётный счёт"), max_length=20, blank=True)
    bic = models.CharField(_("БИК"), max_length=9, blank=True)
    correspondent_account = models.CharField(_("корреспондентский счёт"), max_length=20, blank=True)
    bank_name = models.CharField(_("банк"), max_length=45, blank=True)

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
        self._clean_payee()

    # Required together (the KPP is optional: an individual entrepreneur has none).
    PAYEE_FIELDS = ("payee_name", "inn", "settlement_account", "bic", "correspondent_account", "bank_name")
    # Every payee detail, in the order of a form: only a tenant superuser changes them (billing.admin).
    PAYEE_DETAILS = ("payee_name", "inn", "kpp", "settlement_account", "bic", "correspondent_account", "bank_name")

    def _clean_payee(self):
        """All of the payee's details or none of them; and the ones given must be right."""
        given = [name for name in self.PAYEE_FIELDS if getattr(self, name)]
        if not given:
            return
        errors = {
            name: ValidationError(_("Заполните все реквизиты получателя или ни одного."), code="required")
            for name in self.PAYEE_FIELDS if name not in given
        }
        if self.inn and not re.fullmatch(r"\d{10}|\d{12}", self.inn):
            errors["inn"] = ValidationError(_("ИНН — 10 или 12 цифр."), code="invalid_inn")
        if self.kpp and not re.fullmatch(r"\d{4}[\dA-Z]{2}\d{3}", self.kpp):
            errors["kpp"] = ValidationError(_("КПП — 9 знаков."), code="invalid_kpp")
        for name, error in validate_payee_accounts(
            bic=self.bic, settlement_account=self.settlement_account, correspondent_account=self.correspondent_account
        ).items():
            errors.setdefault(name, error)
        if errors:
            raise ValidationError(errors)

    @property
    def has_payee(self):
        return all(getattr(self, name) for name in self.PAYEE_FIELDS)

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


class Account(models.Model):
    """A personal account (лицевой счёт) at a supplier, as billing knows it."""

    class SubscriberType(models.TextChoices):
        INDIVIDUAL = "individual", _("физическое лицо")
        LEGAL = "legal", _("юридическое лицо")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("организация"))
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="accounts", verbose_name=_("поставщик"))
    number = models.CharField(_("номер лицевого счёта"), max_length=50)
    subscriber_type = models.CharField(_("тип абонента"), max_length=10, choices=SubscriberType.choices)
    holder_name = models.CharField(_("владелец"), max_length=500, blank=True)
    address = models.CharField(_("адрес"), max_length=500, blank=True)
    contract_number = models.CharField(_("номер договора"), max_length=50, blank=True)
    # An HMAC of the receipt PIN under a key derived from SECRET_KEY (billing.pins): a
    # four-digit PIN is no secret against a fast unkeyed hash, and a salted slow hash would
    # make every import of the same file an update (and a million imports slow).
    pin_hash = models.CharField(_("PIN-код квитанции (хеш)"), max_length=64, blank=True)
    phones = models.TextField(_("телефоны"), blank=True, help_text=_("Через запятую, в формате +7XXXXXXXXXX."))
    emails = models.TextField(_("e-mail"), blank=True, help_text=_("Через запятую."))
    closed_on = models.DateField(_("закрыт"), null=True, blank=True)

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("лицевой счёт")
        verbose_name_plural = _("лицевые счета")
        ordering = ["supplier_id", "number"]
        constraints = [models.UniqueConstraint(fields=["supplier", "number"], name="account_number_unique_per_supplier")]
        indexes = [
            models.Index(fields=["tenant", "number"], name="account_tenant_number"),
        ]

    def __str__(self):
        return f"{self.number} ({self.supplier.code})" if self.supplier_id else self.number

    @property
    def is_closed(self):
        return self.closed_on is not None


class Charge(models.Model):
    """What billing charged one account for one service in one period (a receipt's line)."""

    # Tenant rows by the million (portal/exchange): the account already fixes the tenant,
    # so the tenant's key is not checked row by row at commit (a quarter of an import's time).
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", db_constraint=False, verbose_name=_("организация")
    )
    # Indexed by the unique constraint that starts with it.
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="charges", db_index=False, verbose_name=_("лицевой счёт")
    )
    period = models.DateField(_("период"), help_text=_("Первое число месяца."))
    service = models.CharField(_("услуга"), max_length=20, choices=Service.choices)
    opening_balance = models.DecimalField(_("долг на начало"), default=0, **MONEY)
    volume = models.DecimalField(_("объём"), max_digits=16, decimal_places=4, null=True, blank=True)
    unit = models.CharField(_("единица"), max_length=8, blank=True)
    tariff = models.DecimalField(_("тариф, руб. за единицу"), max_digits=12, decimal_places=4, null=True, blank=True)
    charged = models.DecimalField(_("начислено"), default=0, **MONEY)
    recalculated = models.DecimalField(_("перерасчёт"), default=0, **MONEY)
    recalculation_reason = models.CharField(_("основание перерасчёта"), max_length=500, blank=True)
    paid = models.DecimalField(_("оплачено"), default=0, **MONEY)
    closing_balance = models.DecimalField(_("к оплате"), **MONEY)
    invoice_number = models.CharField(_("номер счёта"), max_length=50, blank=True)
    due_on = models.DateField(_("оплатить до"), null=True, blank=True)

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("начисление")
        verbose_name_plural = _("начисления")
        ordering = ["account_id", "-period", "service"]
        constraints = [
            models.UniqueConstraint(fields=["account", "period", "service"], name="charge_unique_per_account_period_service"),
        ]

    def __str__(self):
        return f"{self.account_id} {self.period:%Y-%m} {self.service}"


class Invoice(models.Model):
    """One per account and period: the sum of that period's charges (built by the import)."""

    # Tenant rows by the million (portal/exchange): the account already fixes the tenant,
    # so the tenant's key is not checked row by row at commit (a quarter of an import's time).
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", db_constraint=False, verbose_name=_("организация")
    )
    # Indexed by the unique constraint that starts with it.
    # Built by the import from charges whose own key to the account is checked: not checked
    # again (at a million invoices, three seconds of the import's commit).
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="invoices", db_index=False, db_constraint=False,
        verbose_name=_("лицевой счёт"),
    )
    period = models.DateField(_("период"))
    number = models.CharField(_("номер"), max_length=50, blank=True)
    total = models.DecimalField(_("к оплате"), **MONEY)
    due_on = models.DateField(_("оплатить до"), null=True, blank=True)
    # The PDF receipt (billing/receipts/services.py), kept privately; rendered again when the data
    # it is drawn from changes (receipt_source: a hash of that data).
    receipt = models.FileField(_("квитанция (PDF)"), storage=_private_storage, upload_to="receipts/", blank=True)
    receipt_source = models.CharField(_("данные квитанции (хеш)"), max_length=64, blank=True)
    receipt_rendered_at = models.DateTimeField(_("квитанция сформирована"), null=True, blank=True)

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("счёт")
        verbose_name_plural = _("счета")
        ordering = ["account_id", "-period"]
        constraints = [models.UniqueConstraint(fields=["account", "period"], name="invoice_unique_per_account_period")]

    def __str__(self):
        return self.number or f"{self.period:%m.%Y}"


class BillingPayment(models.Model):
    """A payment as billing reports it (from any channel: bank, post, the portal)."""

    # Tenant rows by the million (portal/exchange): the account already fixes the tenant,
    # so the tenant's key is not checked row by row at commit (a quarter of an import's time).
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", db_constraint=False, verbose_name=_("организация")
    )
    # Indexed by the unique constraint that starts with it.
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="billing_payments", db_index=False, verbose_name=_("лицевой счёт")
    )
    paid_at = models.DateTimeField(_("оплачено"))
    amount = models.DecimalField(_("сумма"), **MONEY)
    channel = models.CharField(_("способ"), max_length=100, blank=True)
    external_id = models.CharField(_("номер в биллинге"), max_length=100, blank=True)

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("платёж (по данным биллинга)")
        verbose_name_plural = _("платежи (по данным биллинга)")
        ordering = ["account_id", "-paid_at"]
        constraints = [
            # Billing's id when it sends one; two payments of one account at the same second
            # without ids are one payment (a corrected amount updates it).
            models.UniqueConstraint(fields=["account", "paid_at", "external_id"], name="billing_payment_unique"),
        ]

    def __str__(self):
        return f"{self.amount} ({self.paid_at:%d.%m.%Y})"


class ImportRun(models.Model):
    """One import of exchange files, from the command or from the admin (kept as a record)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("в очереди")
        RUNNING = "running", _("выполняется")
        DONE = "done", _("завершён")
        FAILED = "failed", _("ошибка")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("организация"))
    created_at = models.DateTimeField(_("создан"), auto_now_add=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("кто запустил"), help_text=_("Пусто: команда оператора."),
    )
    dry_run = models.BooleanField(_("пробный прогон"), default=False)
    status = models.CharField(_("состояние"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    finished_at = models.DateTimeField(_("завершён"), null=True, blank=True)
    written = models.BooleanField(_("данные записаны"), default=False)
    error = models.TextField(_("ошибка"), blank=True)

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("загрузка из биллинга")
        verbose_name_plural = _("загрузки из биллинга")
        ordering = ["-created_at"]

    def __str__(self):
        # In the current zone: the tenant's on its host (portal.middleware.TenantMiddleware).
        return f"{timezone.localtime(self.created_at):%d.%m.%Y %H:%M}" if self.created_at else ""

    @property
    def finished(self):
        return self.status in (self.Status.DONE, self.Status.FAILED)


class ImportFile(models.Model):
    """One file of an import run, with its figures and its rejected lines."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("организация"))
    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="files", verbose_name=_("загрузка"))
    name = models.CharField(_("файл"), max_length=255)
    kind = models.CharField(_("вид"), max_length=20, blank=True)
    upload = models.FileField(_("загруженный файл"), storage=_private_storage, upload_to="imports/", blank=True)
    read = models.PositiveIntegerField(_("прочитано"), default=0)
    created = models.PositiveIntegerField(_("создано"), default=0)
    updated = models.PositiveIntegerField(_("обновлено"), default=0)
    unchanged = models.PositiveIntegerField(_("без изменений"), default=0)
    rejected = models.PositiveIntegerField(_("отклонено"), default=0)
    rejected_lines = models.FileField(
        _("отклонённые строки (CSV)"), storage=_private_storage, upload_to="imports/rejected/", blank=True
    )
    problem = models.TextField(_("файл отклонён целиком"), blank=True)

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("файл загрузки")
        verbose_name_plural = _("файлы загрузки")
        ordering = ["run_id", "pk"]

    def __str__(self):
        return self.name


class ExportRun(models.Model):
    """One export of readings or payments to billing. "Since the last export" marks what it
    sends (Reading.export); a re-export of a period marks nothing."""

    class Kind(models.TextChoices):
        READINGS = "readings", _("показания")
        PAYMENTS = "payments", _("платежи")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("организация"))
    kind = models.CharField(_("что"), max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField(_("выгружено"), auto_now_add=True)
    period = models.DateField(_("период (повторная выгрузка)"), null=True, blank=True)
    file_name = models.CharField(_("файл"), max_length=500)
    rows = models.PositiveIntegerField(_("строк"), default=0)

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("выгрузка в биллинг")
        verbose_name_plural = _("выгрузки в биллинг")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.created_at:%d.%m.%Y %H:%M}"


class AccountLink(models.Model):
    """A consumer's link to a personal account (several users per account: a family).

    Access is earned per link (billing.access has the ladder): a link made by number alone is
    basic and gives what the tenant's policy shows without proof; full access needs a proof
    only the holder has, recorded here with when it was given and, for staff, by whom."""

    class Access(models.TextChoices):
        BASIC = "basic", _("базовый")
        FULL = "full", _("полный")

    class Proof(models.TextChoices):
        METER_SERIAL = "meter_serial", _("серийный номер прибора учёта")
        LAST_CHARGE = "last_charge", _("сумма последнего начисления")
        PIN = "pin", _("PIN-код с квитанции")
        WIZARD = "wizard", _("данные владельца в мастере подключения")
        CONTRACT = "contract", _("регистрация по договору")
        STAFF = "staff", _("подтверждено сотрудником")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("организация"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_links", verbose_name=_("пользователь")
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="links", verbose_name=_("лицевой счёт"))
    access = models.CharField(_("доступ"), max_length=5, choices=Access.choices, default=Access.BASIC)
    linked_at = models.DateTimeField(_("подключён"), auto_now_add=True)
    proof = models.CharField(_("чем подтверждён"), max_length=12, choices=Proof.choices, blank=True)
    proven_at = models.DateTimeField(_("подтверждён"), null=True, blank=True)
    proven_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("кем подтверждён"), help_text=_("Сотрудник, если подтвердил он."),
    )

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("подключённый лицевой счёт")
        verbose_name_plural = _("подключённые лицевые счета")
        ordering = ["linked_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="account_link_unique"),
            # Full access is never granted without a proof on record.
            models.CheckConstraint(
                condition=models.Q(access="full") & ~models.Q(proof="") | models.Q(access="basic", proof=""),
                name="account_link_full_iff_proven",
            ),
        ]

    def __str__(self):
        return f"{self.user} → {self.account}"

    @property
    def is_full(self):
        return self.access == self.Access.FULL


class WrongAnswers(models.Model):
    """Wrong answers to the control question about one account on one day, from anyone.

    Each user and each client has a low daily limit of its own (in the cache); this is the
    account's ceiling above them, so that many users guessing one account stop too. At the
    ceiling the question is closed for the account until the next day or until staff lift
    it in the admin (``lifted_at``); the PIN request still works, so the holder is never
    locked out with nothing to do."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("организация"))
    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, related_name="wrong_answers", verbose_name=_("лицевой счёт")
    )
    day = models.DateField(_("день"))
    count = models.PositiveIntegerField(_("неверных ответов"), default=0)
    lifted_at = models.DateTimeField(_("блокировка снята"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("кем снята"),
    )

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("неверные ответы на контрольный вопрос")
        verbose_name_plural = _("неверные ответы на контрольный вопрос")
        ordering = ["-day", "-count"]

    def __str__(self):
        return f"{self.account} ({self.day:%d.%m.%Y}: {self.count})"


class PinRequest(models.Model):
    """«Подать запрос на получение PIN-кода» (guide 004): a consumer without the receipt's
    PIN asks for it; staff see the requests in the admin and send the PIN by post or in
    the office, then mark the request handled."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("организация"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("пользователь")
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="pin_requests", verbose_name=_("лицевой счёт"))
    created_at = models.DateTimeField(_("подан"), auto_now_add=True)
    handled_at = models.DateTimeField(_("обработан"), null=True, blank=True)

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("запрос PIN-кода")
        verbose_name_plural = _("запросы PIN-кода")
        ordering = ["-created_at"]
        constraints = [
            # One open request per user and account: pressing the button twice asks once.
            models.UniqueConstraint(fields=["user", "account"], condition=models.Q(handled_at__isnull=True),
                                    name="pin_request_one_open"),
        ]

    def __str__(self):
        return f"{self.account} ({self.created_at:%d.%m.%Y})"
