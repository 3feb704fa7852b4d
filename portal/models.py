"""Tenants (utilities), their account policy, consent documents and outgoing messages.

Everything a tenant does differently is data here, read through ``tenant.policy``; code never
branches on a tenant's slug.
"""

import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .scoping import tenant_scoped_manager

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Цвет в формате #RRGGBB, например #0b5394."))
slug_validator = RegexValidator(
    r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$",
    _("От 3 до 32 символов: строчные латинские буквы, цифры и дефис; начинается с буквы."),
)
domain_validator = RegexValidator(
    r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
    _("Доменное имя строчными буквами, без схемы и порта, например lk.example.ru."),
)


def contrast_with_white(colour):
    """WCAG 2 contrast ratio of white text on ``colour`` (#rrggbb): 1 to 21."""

    def channel(value):
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(int(colour[i : i + 2], 16)) for i in (1, 3, 5))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return 1.05 / (luminance + 0.05)


def validate_time_zone(value):
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("Неизвестный часовой пояс «%(value)s».") % {"value": value}) from None


class Tenant(models.Model):
    """A utility running its portal here. Not tenant-scoped: it *is* the scope."""

    class Kind(models.TextChoices):
        ELECTRICITY_RETAIL = "electricity_retail", _("Энергосбытовая компания")
        GRID = "grid", _("Сетевая компания")
        GAS = "gas", _("Газоснабжающая организация")
        MULTI_UTILITY = "multi_utility", _("Расчётный центр (несколько услуг)")

    slug = models.SlugField(
        _("код"), max_length=32, unique=True, validators=[slug_validator],
        help_text=_("Поддомен портала: <код>.<домен портала>. Не меняется после создания."),
    )
    name = models.CharField(_("полное наименование"), max_length=255)
    short_name = models.CharField(_("краткое наименование"), max_length=100)
    kind = models.CharField(_("вид деятельности"), max_length=32, choices=Kind.choices)
    support_phones = models.TextField(
        _("телефоны поддержки"), blank=True, help_text=_("По одному в строке, например: +7 (4912) 90-87-90")
    )
    support_email = models.EmailField(_("e-mail поддержки"), blank=True)
    primary_colour = models.CharField(_("основной цвет"), max_length=7, default="#0b5394", validators=[hex_colour])
    accent_colour = models.CharField(_("цвет акцента"), max_length=7, default="#e69138", validators=[hex_colour])
    logo = models.ImageField(_("логотип"), upload_to="tenant-logos/", blank=True)
    # Deadlines (the reading window, due dates) are days in the tenant's own zone: Рязань
    # and Самара differ by an hour.
    time_zone = models.CharField(
        _("часовой пояс"), max_length=64, default="Europe/Moscow", validators=[validate_time_zone],
        help_text=_("Например Europe/Moscow или Europe/Samara."),
    )
    is_active = models.BooleanField(_("работает"), default=True)
    created_at = models.DateTimeField(_("создан"), auto_now_add=True)

    class Meta:
        ordering = ["short_name"]
        verbose_name = _("организация")
        verbose_name_plural = _("организации")

    def __str__(self):
        return self.short_name

    @property
    def support_phone_list(self):
        return [line.strip() for line in self.support_phones.splitlines() if line.strip()]

    @property
    def zone(self):
        return zoneinfo.ZoneInfo(self.time_zone)

    def today(self, now=None):
        """Today's date where the tenant is."""
        return timezone.localtime(now or timezone.now(), self.zone).date()

    def clean(self):
        super().clean()
        if hex_colour.regex.match(self.primary_colour) and contrast_with_white(self.primary_colour) < 4.5:
            raise ValidationError({"primary_colour": _(
                "Белый текст на этом цвете плохо читается (контраст меньше 4.5:1). Выберите цвет темнее."
            )})
        if self.pk:
            stored_slug = Tenant.objects.filter(pk=self.pk).values_list("slug", flat=True).first()
            if stored_slug and stored_slug != self.slug:
                raise ValidationError({"slug": _("Код организации нельзя изменить: на нём держатся её адреса.")})


class TenantDomain(models.Model):
    """An own domain of a tenant (besides <slug>.<PORTAL_DOMAIN>), e.g. lk.rgmek.ru."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="domains", verbose_name=_("организация"))
    domain = models.CharField(_("домен"), max_length=253, unique=True, validators=[domain_validator])

    class Meta:
        ordering = ["domain"]
        verbose_name = _("домен")
        verbose_name_plural = _("домены")

    def __str__(self):
        return self.domain

    def save(self, *args, **kwargs):
        self.domain = self.domain.strip().lower()
        super().save(*args, **kwargs)


class FieldUse(models.TextChoices):
    OFF = "off", _("не спрашивать")
    OPTIONAL = "optional", _("необязательное")
    REQUIRED = "required", _("обязательное")


class TenantPolicy(models.Model):
    """How a tenant's consumers register, confirm, log in and link accounts (PRODUCT.md table).

    ``clean()`` refuses contradictory combinations, so the admin cannot save one.
    """

    class LoginKind(models.TextChoices):
        EMAIL = "email", _("e-mail")
        PHONE_OR_EMAIL = "phone_or_email", _("телефон или e-mail (что указал пользователь)")
        CONTRACT = "contract", _("генерируется из ИНН и номера договора")

    class PhoneConfirmation(models.TextChoices):
        NONE = "none", _("не подтверждать")
        CODE = "code", _("код в SMS")

    class EmailConfirmation(models.TextChoices):
        NONE = "none", _("не подтверждать")
        CODE = "code", _("код в письме")
        LINK = "link", _("ссылка в письме")
        LINK_AND_CODE = "link_and_code", _("ссылка и код в письме")

    class PasswordCharset(models.TextChoices):
        ANY = "any", _("любые символы")
        LATIN_ALNUM = "latin_alnum", _("только латинские буквы и цифры")

    class AccountLinking(models.TextChoices):
        BY_REGISTRATION = "by_registration", _("договоры подключаются регистрацией (по ИНН и договору)")
        BY_NUMBER = "by_number", _("поставщик и номер лицевого счёта")
        WIZARD = "wizard", _("мастер: тип абонента → данные → подтверждение")
        # Guide 001: grid-connection customers have no personal account, only applications.
        NONE = "none", _("лицевых счетов нет: только заявки (технологическое присоединение)")

    class BasicAccess(models.TextChoices):
        """What a link made by number alone (nothing proven) gives: docs/security.md's ladder."""

        STATUS = "status", _("есть ли задолженность, приборы учёта и их показания")
        BALANCE = "balance", _("суммы к оплате, приборы учёта и их показания")
        PAY = "pay", _("суммы к оплате, приборы учёта, оплата и передача показаний")

    tenant = models.OneToOneField(
        Tenant, on_delete=models.CASCADE, primary_key=True, related_name="policy", verbose_name=_("организация")
    )

    # Who registers and with which fields.
    login_kind = models.CharField(_("логин"), max_length=20, choices=LoginKind.choices, default=LoginKind.EMAIL)
    full_name_field = models.CharField(_("поле «ФИО»"), max_length=10, choices=FieldUse.choices, default=FieldUse.OFF)
    email_field = models.CharField(_("поле «E-mail»"), max_length=10, choices=FieldUse.choices, default=FieldUse.REQUIRED)
    phone_field = models.CharField(_("поле «Телефон»"), max_length=10, choices=FieldUse.choices, default=FieldUse.OFF)
    password_at_signup = models.BooleanField(
        _("пароль задаётся при регистрации"), default=True,
        help_text=_("Если выключено, пароль задаётся после подтверждения телефона кодом (как в Россетях)."),
    )
    signup_captcha = models.BooleanField(_("капча при регистрации"), default=False)
    subscriber_individual = models.BooleanField(_("абоненты — физические лица"), default=True)
    subscriber_legal = models.BooleanField(_("абоненты — юридические лица"), default=False)

    # Password rule. Common passwords are always rejected on top of it.
    password_min_length = models.PositiveSmallIntegerField(
        _("минимальная длина пароля"), default=12, validators=[MinValueValidator(4), MaxValueValidator(128)]
    )
    password_max_length = models.PositiveSmallIntegerField(
        _("максимальная длина пароля"), default=128, validators=[MinValueValidator(4), MaxValueValidator(128)]
    )
    password_charset = models.CharField(
        _("допустимые символы пароля"), max_length=12, choices=PasswordCharset.choices, default=PasswordCharset.ANY
    )
    password_needs_latin_letter = models.BooleanField(_("нужна латинская буква"), default=False)
    password_needs_upper_and_lower = models.BooleanField(_("нужны заглавные и строчные латинские буквы"), default=False)
    password_needs_digit = models.BooleanField(_("нужна цифра"), default=False)

    # Confirmation channels and their lifetimes.
    phone_confirmation = models.CharField(
        _("подтверждение телефона"), max_length=10, choices=PhoneConfirmation.choices, default=PhoneConfirmation.NONE
    )
    email_confirmation = models.CharField(
        _("подтверждение e-mail"), max_length=16, choices=EmailConfirmation.choices, default=EmailConfirmation.LINK
    )
    code_length = models.PositiveSmallIntegerField(
        _("цифр в коде"), default=6, validators=[MinValueValidator(4), MaxValueValidator(8)]
    )
    code_ttl_seconds = models.PositiveIntegerField(
        _("срок действия кода, с"), default=600, validators=[MinValueValidator(60), MaxValueValidator(86400)]
    )
    resend_cooldown_seconds = models.PositiveIntegerField(
        _("повторная отправка не раньше, чем через, с"), default=60, validators=[MinValueValidator(10), MaxValueValidator(3600)]
    )
    code_max_attempts = models.PositiveSmallIntegerField(
        _("попыток ввода кода"), default=5, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    activation_window_hours = models.PositiveIntegerField(
        _("срок активации, ч"), default=72, validators=[MinValueValidator(1), MaxValueValidator(24 * 30)],
        help_text=_("Сколько действует ссылка или код подтверждения учётной записи."),
    )
    login_before_activation = models.BooleanField(
        _("вход до активации"), default=False,
        help_text=_("Пользователь может войти до подтверждения и запросить ссылку ещё раз («Выслать ссылку»)."),
    )
    delete_unactivated = models.BooleanField(_("удалять неактивированные по истечении срока"), default=False)
    staff_register_customers = models.BooleanField(
        _("сотрудники регистрируют клиентов"), default=False,
        help_text=_("Сотрудник регистрирует клиента в админке; клиент вводит код из SMS на странице "
                    "«Вас зарегистрировал сотрудник?», задаёт пароль и активирует кабинет по ссылке (руководство 001)."),
    )

    # Consents.
    consent_after_first_login = models.BooleanField(
        _("согласие подписывается после первого входа"), default=False,
        help_text=_("До подписания согласия пользователю доступна только страница согласия."),
    )

    # Personal accounts.
    account_linking = models.CharField(
        _("подключение лицевых счетов"), max_length=16, choices=AccountLinking.choices, default=AccountLinking.BY_NUMBER
    )
    basic_access = models.CharField(
        _("доступ по номеру счёта, без подтверждения"), max_length=10, choices=BasicAccess.choices,
        default=BasicAccess.BALANCE,
        help_text=_("Что видит тот, кто знает только номер лицевого счёта. ФИО и адрес владельца, квитанции, "
                    "история и документы — только после подтверждения, что счёт его."),
    )
    extended_access = models.BooleanField(
        _("подтверждение контрольным вопросом"), default=False,
        help_text=_("Полный доступ после ответа на контрольный вопрос. Без него полный доступ даёт мастер "
                    "подключения, регистрация по договору или сотрудник в админке."),
    )
    question_meter_serial = models.BooleanField(_("вопрос: серийный номер прибора учёта"), default=False)
    question_last_charge = models.BooleanField(_("вопрос: сумма последнего начисления в копейках"), default=False)
    question_pin = models.BooleanField(_("вопрос: PIN-код с квитанции"), default=False)

    # Meter readings.
    reading_jump_factor = models.DecimalField(
        _("подтверждать расход больше среднего в"), max_digits=4, decimal_places=1, default=3,
        validators=[MinValueValidator(1)],
        help_text=_("Во сколько раз расход может превысить средний за 3 последних периода без вопроса "
                    "«Всё правильно?»."),
    )

    class Meta:
        verbose_name = _("политика учётных записей")
        verbose_name_plural = _("политики учётных записей")

    def __str__(self):
        return str(_("Политика «%(tenant)s»") % {"tenant": self.tenant})

    # Derived facts, so that callers never re-derive them from raw fields.
    @property
    def registers_by_contract(self):
        """Guide 000: INN + contract number; the login is generated from them."""
        return self.login_kind == self.LoginKind.CONTRACT

    @property
    def login_is_phone_or_email(self):
        """Guide 004: one login field that takes a phone or an e-mail."""
        return self.login_kind == self.LoginKind.PHONE_OR_EMAIL

    @property
    def has_accounts(self):
        """Whether customers have personal accounts here (guide 001's applicants have none:
        their home is their applications, and nothing offers to link an account)."""
        return self.account_linking != self.AccountLinking.NONE

    @property
    def login_is_email(self):
        return self.login_kind == self.LoginKind.EMAIL

    @property
    def asks_full_name(self):
        return self.full_name_field != FieldUse.OFF

    @property
    def requires_full_name(self):
        return self.full_name_field == FieldUse.REQUIRED

    @property
    def asks_email(self):
        return self.login_is_email or self.email_field != FieldUse.OFF

    @property
    def requires_email(self):
        return self.login_is_email or self.email_field == FieldUse.REQUIRED

    @property
    def asks_phone(self):
        return self.phone_field != FieldUse.OFF

    @property
    def requires_phone(self):
        return self.phone_field == FieldUse.REQUIRED

    @property
    def confirms_phone_by_code(self):
        return self.phone_confirmation == self.PhoneConfirmation.CODE

    @property
    def confirms_email(self):
        return self.email_confirmation != self.EmailConfirmation.NONE

    @property
    def confirms_email_by_code_only(self):
        return self.email_confirmation == self.EmailConfirmation.CODE

    @property
    def mails_code_with_link(self):
        return self.email_confirmation == self.EmailConfirmation.LINK_AND_CODE

    @property
    def registers_customers_by_staff(self):
        """Guide 001: staff register a customer in the admin, who finishes with the SMS code
        at «Вас зарегистрировал сотрудник?»."""
        return self.staff_register_customers

    @property
    def code_ttl_minutes(self):
        """The code's lifetime as people are told it."""
        return max(1, self.code_ttl_seconds // 60)

    @property
    def subscriber_types(self):
        return [t for t, on in (("individual", self.subscriber_individual), ("legal", self.subscriber_legal)) if on]

    def clean(self):
        super().clean()
        errors = {}

        def add(field, message):
            errors.setdefault(field, []).append(message)

        Kind = self.LoginKind
        if self.login_kind == Kind.EMAIL and self.email_field != FieldUse.REQUIRED:
            add("email_field", _("Логин — e-mail, значит поле «E-mail» обязательно."))
        if self.login_kind == Kind.PHONE_OR_EMAIL and (self.email_field != FieldUse.OFF or self.phone_field != FieldUse.OFF):
            add("login_kind", _("При логине «телефон или e-mail» контакт вводится в поле логина: "
                                "отдельные поля «E-mail» и «Телефон» должны быть выключены."))
        if self.login_kind == Kind.CONTRACT:
            if not self.subscriber_legal:
                add("subscriber_legal", _("Регистрация по ИНН и договору — для юридических лиц."))
            if self.account_linking != self.AccountLinking.BY_REGISTRATION:
                add("account_linking", _("При логине из ИНН и договора договоры подключаются регистрацией."))
            if self.email_field != FieldUse.OFF or self.phone_field != FieldUse.OFF:
                add("login_kind", _("При регистрации по договору контакт берётся из договора: "
                                    "поля «E-mail» и «Телефон» должны быть выключены."))
        elif self.account_linking == self.AccountLinking.BY_REGISTRATION:
            add("account_linking", _("Подключение регистрацией возможно только при логине из ИНН и договора."))

        if not (self.subscriber_individual or self.subscriber_legal):
            add("subscriber_individual", _("Нужен хотя бы один тип абонента."))

        if self.password_min_length > self.password_max_length:
            add("password_max_length", _("Максимальная длина пароля меньше минимальной."))

        phone_collected = self.asks_phone or self.login_kind in (Kind.PHONE_OR_EMAIL, Kind.CONTRACT)
        email_collected = self.asks_email or self.login_kind in (Kind.PHONE_OR_EMAIL, Kind.CONTRACT)
        confirms_phone = self.confirms_phone_by_code
        confirms_email = self.confirms_email
        if confirms_phone and not phone_collected:
            add("phone_confirmation", _("Телефон не запрашивается при регистрации — подтверждать нечего."))
        if confirms_email and not email_collected:
            add("email_confirmation", _("E-mail не запрашивается при регистрации — подтверждать нечего."))
        if not (confirms_phone or confirms_email):
            add("email_confirmation", _("Нужен хотя бы один способ подтверждения регистрации."))
        if not self.password_at_signup and not confirms_phone:
            add("password_at_signup", _("Без пароля при регистрации пароль задаётся после кода из SMS: "
                                        "включите подтверждение телефона кодом."))
        if self.resend_cooldown_seconds >= self.code_ttl_seconds:
            add("resend_cooldown_seconds", _("Повторная отправка должна быть доступна раньше, чем истечёт код."))
        if self.code_ttl_seconds > self.activation_window_hours * 3600:
            add("code_ttl_seconds", _("Код не может жить дольше срока активации."))
        if self.staff_register_customers and not (confirms_phone and confirms_email and self.login_is_email):
            add("staff_register_customers", _("Клиент, которого зарегистрировал сотрудник, подтверждает телефон кодом "
                                              "из SMS и e-mail (он же логин) по ссылке: включите оба подтверждения "
                                              "и логин по e-mail."))
        if self.login_before_activation and not confirms_email:
            add("login_before_activation", _("Вход до активации предполагает повторную отправку ссылки на e-mail."))

        if self.extended_access and not (self.question_meter_serial or self.question_last_charge or self.question_pin):
            add("extended_access", _("Выберите хотя бы один контрольный вопрос."))
        if not self.extended_access and (self.question_meter_serial or self.question_last_charge or self.question_pin):
            add("extended_access", _("Контрольные вопросы заданы, а подтверждение контрольным вопросом выключено."))
        if self.extended_access and self.question_last_charge and self.basic_access != self.BasicAccess.STATUS:
            # Someone who pays in full owes what was last charged: the amount would be the answer.
            add("basic_access", _("Сумма последнего начисления — контрольный вопрос, поэтому без подтверждения "
                                  "суммы не показываются: выберите «есть ли задолженность…»."))
        if errors:
            raise ValidationError(errors)


class ConsentDocument(models.Model):
    """A versioned document a user accepts: user agreement, personal-data consent, ...

    152-FZ (as amended in 2025): the personal-data consent is its own document with its own
    checkbox, never part of the user agreement. A new version is a new row; the active one
    of each kind is shown.
    """

    class Kind(models.TextChoices):
        USER_AGREEMENT = "user_agreement", _("Пользовательское соглашение")
        PERSONAL_DATA = "personal_data", _("Согласие на обработку персональных данных")
        PERSONAL_DATA_LAW = "personal_data_law", _("Ознакомление с 152-ФЗ «О персональных данных»")
        MARKETING = "marketing", _("Согласие на рекламно-информационную рассылку")

    class Moment(models.TextChoices):
        SIGNUP = "signup", _("при регистрации")
        FIRST_LOGIN = "first_login", _("после первого входа")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="consent_documents", verbose_name=_("организация"))
    kind = models.CharField(_("вид"), max_length=20, choices=Kind.choices)
    version = models.PositiveIntegerField(_("версия"), default=1)
    title = models.CharField(_("заголовок"), max_length=255)
    checkbox_label = models.CharField(_("текст у флажка"), max_length=500)
    text = models.TextField(_("текст документа"))
    required = models.BooleanField(_("обязательно"), default=True)
    moment = models.CharField(_("когда подписывается"), max_length=12, choices=Moment.choices, default=Moment.SIGNUP)
    is_active = models.BooleanField(_("действующая версия"), default=True)
    published_at = models.DateTimeField(_("опубликован"), auto_now_add=True)

    objects = tenant_scoped_manager()()

    class Meta:
        ordering = ["kind", "-version"]
        verbose_name = _("документ для согласия")
        verbose_name_plural = _("документы для согласия")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "kind", "version"], name="consent_version_unique"),
            models.UniqueConstraint(
                fields=["tenant", "kind"], condition=Q(is_active=True), name="one_active_consent_version_per_kind"
            ),
        ]

    def __str__(self):
        return f"{self.title} (v{self.version})"

    def clean(self):
        super().clean()
        if self.kind == self.Kind.MARKETING and self.required:
            raise ValidationError({"required": _("Согласие на рассылку не может быть обязательным.")})


class OutgoingMessage(models.Model):
    """One e-mail or SMS the portal sends: the row is the job (a transactional outbox). The
    Celery task carries only the id; the text (subject, body, headers) is kept with the row,
    encrypted (portal.sealing), until the message is sent or expires.

    Its status makes delivery happen at most once, however often the task runs (acks_late,
    retries, a message duplicated in the broker, the sweep publishing it again): a task sends
    only after moving the row from «queued» to «sending» itself, under the row's lock.

    The sweep (portal.services.messages_sweep, every 30 s on beat) resolves every row:

    - «в очереди» whose ``due_at`` has passed (a publish lost, a task lost with the broker, a
      retry lost): published again; ``due_at`` moves on first, so two sweeps do not both
      publish it, and a second copy of the task finds the row taken anyway.
    - «в очереди» past ``expires_at``: «истёк», never sent, the text dropped. A message with a
      one-time code or link (``has_code``) expires with the code; any other after
      OUTBOX_MESSAGE_LIFETIME.
    - «отправляется» longer than OUTBOX_SENDING_TIMEOUT (a worker died while sending, or the
      database went away before the «sent» was written): the gateway may or may not have
      taken it. A message without a code (a receipt, a notice) is queued again: a second copy
      is harmless. A message with a code is not sent twice: «не отправлено» with the reason,
      for staff to see (or «истёк» once past its validity); the person asks for a new code.
    - A transient error (the database, the broker, SMTP, the SMS gateway, OSError) puts it
      back in the queue with backoff; after MAX_DELIVERY_ATTEMPTS tries it is «не
      отправлено» with the reason, and an admin may send it again while its text is kept.

    A message marked ``forget_recipient`` (an erasure's notice, and whatever was still queued
    for the erased person) loses its recipient (and its text) once it is sent or given up on.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        QUEUED = "queued", _("в очереди")
        SENDING = "sending", _("отправляется")
        SENT = "sent", _("отправлено")
        FAILED = "failed", _("не отправлено")
        EXPIRED = "expired", _("истёк")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                               verbose_name=_("организация"))
    channel = models.CharField(_("канал"), max_length=5, choices=Channel.choices)
    to = models.CharField(_("получатель"), max_length=254)
    # Whose message it is, where the sender knows: an erasure (privacy) forgets the address of
    # every message of the person, those to contacts they had before a change included.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+", verbose_name=_("пользователь"))
    status = models.CharField(_("состояние"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    forget_recipient = models.BooleanField(_("забыть получателя после отправки"), default=False)
    attempts = models.PositiveSmallIntegerField(_("попыток"), default=0)
    error = models.CharField(_("последняя ошибка"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("создано"), auto_now_add=True)
    sent_at = models.DateTimeField(_("отправлено"), null=True, blank=True)
    # The text: a Fernet token of {"subject", "body", "headers"} (portal.sealing); "" once
    # the message is sent, has expired, or its recipient was forgotten.
    payload = models.TextField(_("текст (зашифрован)"), blank=True)
    has_code = models.BooleanField(_("одноразовый код или ссылка"), default=False)
    expires_at = models.DateTimeField(_("действительно до"))
    # When the sweep publishes a queued row again, unless a worker took it before.
    due_at = models.DateTimeField(_("повторить не раньше"))
    claimed_at = models.DateTimeField(_("взято в отправку"), null=True, blank=True)

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("исходящее сообщение")
        verbose_name_plural = _("исходящие сообщения")
        indexes = [models.Index(fields=["status", "created_at"]), models.Index(fields=["status", "due_at"])]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.to} ({self.get_status_display()})"

    @property
    def can_be_resent(self):
        """An admin may send it again: given up on, its text kept, still valid."""
        return self.status == self.Status.FAILED and bool(self.payload) and self.expires_at > timezone.now()
