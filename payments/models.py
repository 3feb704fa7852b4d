"""Payments made in the portal, the payment providers a tenant's suppliers use, the
notifications they send, and the sandbox provider's own ledger.

A Payment's status moves only along ``Payment.TRANSITIONS``, and its amount and account are
frozen once it has gone to the provider: ``Payment.save`` refuses anything else, whoever
saves (a service, the admin, a shell). The provider's word is the truth about a payment's
outcome: the portal learns it by fetching the payment's status (payments/services.py).
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from billing.models import MONEY, Account, ExportRun, Supplier
from portal.models import Tenant
from portal.scoping import tenant_scoped_manager


class ProviderAccount(models.Model):
    """A supplier's account with a payment provider («магазин»): which provider, the shop's
    id and its secret key (encrypted at rest, payments/secrets.py). Set up by a superuser."""

    class Kind(models.TextChoices):
        SANDBOX = "sandbox", _("Тестовая касса (песочница)")
        YOOKASSA = "yookassa", _("ЮKassa")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("организация"))
    supplier = models.OneToOneField(Supplier, on_delete=models.CASCADE, related_name="provider_account",
                                    verbose_name=_("поставщик"))
    kind = models.CharField(_("платёжный сервис"), max_length=20, choices=Kind.choices)
    shop_id = models.CharField(_("идентификатор магазина"), max_length=100)
    secret_encrypted = models.TextField(_("секретный ключ (зашифрован)"), editable=False)
    is_active = models.BooleanField(_("принимает платежи"), default=True)
    updated_at = models.DateTimeField(_("изменено"), auto_now=True)

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("платёжный сервис поставщика")
        verbose_name_plural = _("платёжные сервисы поставщиков")

    def __str__(self):
        return f"{self.supplier} — {self.get_kind_display()}"

    @property
    def secret(self):
        from .secrets import decrypt

        return decrypt(self.secret_encrypted)

    def set_secret(self, value):
        from .secrets import encrypt

        self.secret_encrypted = encrypt(value)


class Payment(models.Model):
    """A payment made in the portal through a payment provider. Billing learns of it from
    export_payments; once billing has it, it comes back as a BillingPayment whose
    external_id is the provider's payment id («ожидает учёта» until then)."""

    class Status(models.TextChoices):
        CREATED = "created", _("создан")
        PENDING = "pending", _("ожидает оплаты")
        SUCCEEDED = "succeeded", _("оплачен")
        CANCELED = "canceled", _("отменён")
        FAILED = "failed", _("ошибка")
        REFUNDED = "refunded", _("возвращён")

    class Kind(models.TextChoices):
        DEBT = "debt", _("оплата задолженности")
        AMOUNT = "amount", _("оплата суммы")
        READINGS = "readings", _("оплата с передачей показаний")

    # The one place the status may move; nothing leaves a final status except a refund.
    TRANSITIONS = {
        Status.CREATED: {Status.PENDING, Status.CANCELED, Status.FAILED},
        Status.PENDING: {Status.SUCCEEDED, Status.CANCELED, Status.FAILED},
        Status.SUCCEEDED: {Status.REFUNDED},
        Status.CANCELED: set(),
        Status.FAILED: set(),
        Status.REFUNDED: set(),
    }
    FINAL = {Status.SUCCEEDED, Status.CANCELED, Status.FAILED, Status.REFUNDED}
    # Fixed once the payment has gone to the provider: the provider charges what it was told.
    FROZEN_FIELDS = ("amount", "account_id", "tenant_id", "provider_account_id")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("организация"))
    public_id = models.UUIDField(_("номер в личном кабинете"), default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="portal_payments",
                                verbose_name=_("лицевой счёт"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("плательщик"),
    )
    kind = models.CharField(_("что оплачено"), max_length=10, choices=Kind.choices, default=Kind.AMOUNT)
    amount = models.DecimalField(_("сумма"), **MONEY)
    period = models.DateField(_("расчётный период"), null=True, blank=True)
    invoice_number = models.CharField(_("номер счёта"), max_length=50, blank=True)
    status = models.CharField(_("статус"), max_length=10, choices=Status.choices, default=Status.CREATED)
    provider_account = models.ForeignKey(ProviderAccount, on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="payments", verbose_name=_("платёжный сервис"))
    provider = models.CharField(_("платёжный сервис"), max_length=30)
    provider_payment_id = models.CharField(_("номер платежа у сервиса"), max_length=100, blank=True)
    confirmation_url = models.URLField(_("страница оплаты"), max_length=2000, blank=True)
    failure_reason = models.CharField(_("причина отказа"), max_length=300, blank=True)
    refunded_amount = models.DecimalField(_("возвращено"), default=0, **MONEY)
    readings = models.ManyToManyField("meters.Reading", blank=True, related_name="+",
                                      verbose_name=_("переданные показания"))
    created_at = models.DateTimeField(_("создан"), auto_now_add=True)
    pending_at = models.DateTimeField(_("передан в платёжный сервис"), null=True, blank=True)
    succeeded_at = models.DateTimeField(_("оплачен"), null=True, blank=True)
    finished_at = models.DateTimeField(_("завершён"), null=True, blank=True)
    checked_at = models.DateTimeField(_("статус запрошен"), null=True, blank=True)
    export = models.ForeignKey(
        ExportRun, on_delete=models.PROTECT, null=True, blank=True, related_name="payments", verbose_name=_("выгрузка")
    )

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("платёж в личном кабинете")
        verbose_name_plural = _("платежи в личном кабинете")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="succeeded") | models.Q(succeeded_at__isnull=False),
                name="payment_succeeded_has_time",
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive"),
            models.UniqueConstraint(fields=["provider_account", "provider_payment_id"],
                                    condition=~models.Q(provider_payment_id=""), name="payment_provider_id_unique"),
        ]
        indexes = [
            # The next export's rows: succeeded and not yet exported.
            models.Index(fields=["tenant", "status"], condition=models.Q(status="succeeded", export__isnull=True),
                         name="payment_to_export"),
            # The repair task's rows: still waiting for the provider.
            models.Index(fields=["status", "pending_at"], condition=models.Q(status="pending"),
                         name="payment_pending"),
            models.Index(fields=["account", "-created_at"], name="payment_account_recent"),
        ]

    def __str__(self):
        return f"{self.amount} ({self.get_status_display()})"

    @classmethod
    def from_db(cls, db, field_names, values):
        payment = super().from_db(db, field_names, values)
        payment._loaded = {name: getattr(payment, name) for name in ("status", *cls.FROZEN_FIELDS)
                           if name in payment.__dict__}
        return payment

    def can_become(self, status):
        return status == self.status or status in self.TRANSITIONS[self.Status(self.status)]

    def clean_transition(self):
        """ValidationError unless this save keeps to TRANSITIONS and FROZEN_FIELDS."""
        loaded = getattr(self, "_loaded", None)
        if not loaded or "status" not in loaded:
            return
        before = self.Status(loaded["status"])
        if self.status != before and self.status not in self.TRANSITIONS[before]:
            raise ValidationError(f"A payment cannot go from {before} to {self.status}.")
        if before != self.Status.CREATED:
            changed = [name for name in self.FROZEN_FIELDS if name in loaded and getattr(self, name) != loaded[name]]
            if changed:
                raise ValidationError(f"A payment's {', '.join(changed)} cannot change once it is {before}.")

    def save(self, *args, **kwargs):
        self.clean_transition()
        super().save(*args, **kwargs)
        self._loaded = {name: getattr(self, name) for name in ("status", *self.FROZEN_FIELDS)}

    @property
    def amount_kopecks(self):
        return to_kopecks(self.amount)

    @property
    def is_final(self):
        return self.status in self.FINAL


def to_kopecks(amount):
    """Roubles (Decimal, at most 2 places) → integer kopecks; refuses anything inexact."""
    kopecks = amount * 100
    if kopecks != kopecks.to_integral_value():
        raise ValueError(f"{amount} is not a whole number of kopecks")
    return int(kopecks)


class PaymentEvent(models.Model):
    """A notification a provider sent, stored raw before anything is done with it. The same
    body again (a replay, a duplicate delivery) is recorded once; what it says is never
    trusted: the payment's status is fetched from the provider."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("организация"))
    provider_account = models.ForeignKey(ProviderAccount, on_delete=models.CASCADE, related_name="events",
                                         verbose_name=_("платёжный сервис"))
    provider_payment_id = models.CharField(_("номер платежа у сервиса"), max_length=100)
    event = models.CharField(_("событие"), max_length=50)
    body = models.TextField(_("тело уведомления"))
    body_sha256 = models.CharField(max_length=64)
    client_ip = models.GenericIPAddressField(_("адрес отправителя"), null=True, blank=True)
    received_at = models.DateTimeField(_("получено"), auto_now_add=True)
    deliveries = models.PositiveIntegerField(_("получено раз"), default=1)
    processed_at = models.DateTimeField(_("обработано"), null=True, blank=True)

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("уведомление платёжного сервиса")
        verbose_name_plural = _("уведомления платёжных сервисов")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["provider_account", "body_sha256"], name="payment_event_once"),
        ]

    def __str__(self):
        return f"{self.event} {self.provider_payment_id}"


class SandboxPayment(models.Model):
    """The sandbox provider's own ledger: what a real provider keeps on its side. It is
    keyed by the shop, not by a tenant: the sandbox plays a service outside the portal."""

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        SUCCEEDED = "succeeded", "succeeded"
        CANCELED = "canceled", "canceled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    shop_id = models.CharField(max_length=100)
    idempotency_key = models.CharField(max_length=100)
    request_sha256 = models.CharField(max_length=64)
    amount_kopecks = models.PositiveBigIntegerField()
    description = models.CharField(max_length=300)
    return_url = models.URLField(max_length=2000)
    notification_url = models.URLField(max_length=2000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    cancellation_reason = models.CharField(max_length=100, blank=True)
    # After «ошибка сервиса» the payer saw an error, but the outcome was decided (unknown to
    # the shop until it asks) and no notification is sent.
    silent = models.BooleanField(default=False)
    refunded_kopecks = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("платёж в песочнице")
        verbose_name_plural = _("платежи в песочнице")
        constraints = [
            models.UniqueConstraint(fields=["shop_id", "idempotency_key"], name="sandbox_idempotency"),
        ]


class SandboxNotification(models.Model):
    """A notification the sandbox owes a shop, sent until the shop answers 200 (for about a
    day, as real providers do). The wait before each try is kept here (``due_at``), not in the
    broker: a message waiting for an hour would outlive the broker's visibility timeout
    (portal/settings.py). ``attempts`` counts the tries made: a task sends try number
    ``attempts`` + 1 only if nobody has, so a duplicated task or the sweep sends nothing twice."""

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        DELIVERED = "delivered", "delivered"
        ABANDONED = "abandoned", "abandoned"

    payment = models.ForeignKey(SandboxPayment, on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField(max_length=50)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    due_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    last_result = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("уведомление песочницы")
        verbose_name_plural = _("уведомления песочницы")
        indexes = [
            # The sweep's rows: still to be sent.
            models.Index(fields=["due_at"], condition=models.Q(status="pending"), name="sandbox_notification_due"),
        ]

    def __str__(self):
        return f"{self.event} {self.payment_id} ({self.status})"
