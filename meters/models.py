"""Meters of personal accounts and their readings (shared/EXCHANGE.md: meters.csv,
readings.csv, readings_export.csv).

A reading comes from billing (automatic reading, controller, estimate, or a portal reading
billing sends back as its own) or from the portal. Billing's readings are keyed by meter,
zone, day and source, so an import of the same file changes nothing; a portal reading has
a status that follows it through the export to billing's verdict.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from billing.models import Account, Service
from portal.models import Tenant
from portal.scoping import tenant_scoped_manager


class Meter(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("организация"))
    # Indexed by the unique constraint that starts with it.
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="meters", db_index=False, verbose_name=_("лицевой счёт")
    )
    serial = models.CharField(_("заводской номер"), max_length=50)
    service = models.CharField(_("услуга"), max_length=20, choices=Service.choices)
    zones = models.PositiveSmallIntegerField(
        _("тарифных зон"), default=1, validators=[MinValueValidator(1), MaxValueValidator(3)]
    )
    digits = models.PositiveSmallIntegerField(
        _("разрядов до запятой"), default=8, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    decimals = models.PositiveSmallIntegerField(
        _("разрядов после запятой"), default=0, validators=[MaxValueValidator(4)]
    )
    installed_on = models.DateField(_("установлен"), null=True, blank=True)
    verified_until = models.DateField(_("поверен до"), null=True, blank=True)
    archived_on = models.DateField(_("снят с учёта"), null=True, blank=True)

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("прибор учёта")
        verbose_name_plural = _("приборы учёта")
        ordering = ["account_id", "serial"]
        constraints = [
            models.UniqueConstraint(fields=["account", "serial"], name="meter_serial_unique_per_account"),
            models.CheckConstraint(condition=Q(zones__gte=1, zones__lte=3), name="meter_zones_1_to_3"),
            models.CheckConstraint(condition=Q(decimals__lte=4), name="meter_decimals_at_most_4"),
        ]
        indexes = [models.Index(fields=["tenant", "serial"], name="meter_tenant_serial")]

    def __str__(self):
        return f"№ {self.serial}"

    @property
    def serial_masked(self):
        """What a link by number alone sees of the serial (the control question's answer)."""
        return f"…{self.serial[-2:]}"


class Reading(models.Model):
    class Source(models.TextChoices):
        AMR = "amr", _("автоматически (АСКУЭ)")
        CONTROLLER = "controller", _("контролёр")
        ESTIMATED = "estimated", _("расчётное")
        PORTAL = "portal", _("личный кабинет")
        STAFF = "staff", _("сотрудник")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("передано")
        EXPORTED = "exported", _("отправлено в расчёт")
        ACCEPTED = "accepted", _("принято")
        REJECTED = "rejected", _("отклонено")
        # Kept, not sent: another user's reading of the same meter and period goes to billing
        # (meters.services: the rule that picks one).
        HELD = "held", _("не передано: есть показание другого пользователя")

    # Readings that are not what the meter showed: refused by billing, or held for another.
    NOT_COUNTED = (Status.REJECTED, Status.HELD)

    class Access(models.TextChoices):
        """By which access a reading submitted here was sent (billing.access's ladder)."""

        BASIC = "basic", _("по номеру счёта")
        FULL = "full", _("владелец (доступ подтверждён)")
        STAFF = "staff", _("сотрудник")

    # Tenant rows by the million (portal/exchange): the meter already fixes the tenant,
    # so the tenant's key is not checked row by row at commit (a quarter of an import's time).
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="+", db_constraint=False, verbose_name=_("организация")
    )
    meter = models.ForeignKey(Meter, on_delete=models.CASCADE, related_name="readings", verbose_name=_("прибор учёта"))
    zone = models.PositiveSmallIntegerField(_("зона"), default=1)
    # Exact: as many decimals as a meter may have (4), and 12 whole digits.
    value = models.DecimalField(_("показание"), max_digits=16, decimal_places=4)
    taken_on = models.DateField(_("дата показания"))
    source = models.CharField(_("источник"), max_length=12, choices=Source.choices)
    # Readings submitted here (through the portal or by staff) carry who and when, and a
    # status; billing's own have neither.
    submitted_at = models.DateTimeField(_("передано"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        db_index=False, verbose_name=_("кем передано"),  # a partial index below
    )
    status = models.CharField(_("статус"), max_length=10, choices=Status.choices, blank=True)
    access = models.CharField(_("доступ передавшего"), max_length=5, choices=Access.choices, blank=True, db_default="")
    # A held reading: the reading of the same meter, zone and period that goes to billing instead.
    held_for = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="held", db_index=False,
        verbose_name=_("вместо него передано"),
    )
    status_reason = models.CharField(_("причина"), max_length=500, blank=True)
    # Portal readings: the billing period the reading counts for (out of a window that is
    # not strict: the next one), what the consumer confirmed when asked, and the reading an
    # exported one corrects.
    period = models.DateField(_("расчётный период"), null=True, blank=True)
    # db_default: the import inserts billing's readings with raw SQL that names neither.
    confirmed_lower = models.BooleanField(_("подтверждено: меньше предыдущего"), default=False, db_default=False)
    confirmed_jump = models.BooleanField(_("подтверждено: расход больше обычного"), default=False, db_default=False)
    corrects = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="corrections", db_index=False,
        verbose_name=_("исправляет показание"),
    )
    export = models.ForeignKey(
        "billing.ExportRun", on_delete=models.PROTECT, null=True, blank=True, related_name="readings",
        db_index=False, verbose_name=_("выгрузка"),  # a partial index below
    )

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("показание")
        verbose_name_plural = _("показания")
        ordering = ["meter_id", "-taken_on", "zone"]
        constraints = [
            models.UniqueConstraint(
                fields=["meter", "zone", "taken_on", "source"], condition=Q(submitted_at__isnull=True),
                name="billing_reading_unique",
            ),
            models.CheckConstraint(condition=Q(zone__gte=1, zone__lte=3), name="reading_zone_1_to_3"),
            # One reading of a meter's zone waits for export per period: a second submission
            # replaces it (two tabs or a double click give one reading).
            models.UniqueConstraint(
                fields=["meter", "zone", "period"], condition=Q(status="submitted"), name="reading_one_unexported",
            ),
            models.CheckConstraint(
                condition=Q(submitted_at__isnull=True, status="") | Q(submitted_at__isnull=False) & ~Q(status=""),
                name="reading_status_iff_submitted_here",
            ),
        ]
        indexes = [
            # The next export's rows: submitted here and not yet exported.
            models.Index(fields=["tenant", "status"], condition=Q(status="submitted"), name="reading_to_export"),
            # Billing's readings (millions) have neither: index only the portal's.
            models.Index(fields=["submitted_by"], condition=Q(submitted_by__isnull=False), name="reading_submitted_by"),
            models.Index(fields=["export"], condition=Q(export__isnull=False), name="reading_export"),
            models.Index(fields=["held_for"], condition=Q(held_for__isnull=False), name="reading_held_for"),
        ]

    def __str__(self):
        return f"{self.value} ({self.taken_on:%d.%m.%Y})"


class ReadingWindow(models.Model):
    """When readings are taken in (ПП 354: by the 25th; suppliers set their own days), per
    supplier and subscriber type; the most specific row wins (services.reading_window).
    Days are in the tenant's time zone. Out of a strict window a reading is refused; out of
    one that is not strict it is taken and counts for the next period."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("организация"))
    supplier = models.ForeignKey(
        "billing.Supplier", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("поставщик"), help_text=_("Пусто: все поставщики."),
    )
    subscriber_type = models.CharField(
        _("тип абонента"), max_length=10, choices=Account.SubscriberType.choices, blank=True,
        help_text=_("Пусто: все типы."),
    )
    first_day = models.PositiveSmallIntegerField(_("с числа"), validators=[MinValueValidator(1), MaxValueValidator(31)])
    last_day = models.PositiveSmallIntegerField(_("по число"), validators=[MinValueValidator(1), MaxValueValidator(31)])
    strict = models.BooleanField(
        _("строго"), default=False, help_text=_("Вне окна показания не принимаются (иначе идут в следующий период)."),
    )

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("окно приёма показаний")
        verbose_name_plural = _("окна приёма показаний")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "supplier", "subscriber_type"], name="reading_window_unique",
                                    nulls_distinct=False),
            models.CheckConstraint(condition=Q(first_day__lte=models.F("last_day")), name="reading_window_order"),
        ]

    def __str__(self):
        return f"{self.first_day}–{self.last_day}"
