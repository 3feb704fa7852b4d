"""The user: one person's account at one tenant.

The same e-mail at two utilities is two independent accounts; the login is unique within a
tenant. Platform superusers have no tenant. Every lookup through ``User.objects`` is scoped
to the active tenant (portal.scoping), which is what keeps logins, sessions and password
resets of one tenant from ever finding a user of another.
"""

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from portal.models import ConsentDocument, Tenant
from portal.scoping import tenant_scoped_manager

from portal.phones import normalize_phone


def normalize_email(email):
    """The one form an e-mail is stored and looked up in: stripped, lower case (allauth
    lowers the e-mails it looks up, too), an internationalised domain in Unicode whichever
    way it was typed («пример.рф» or «xn--e1afmkfd.xn--p1ai»: one mailbox, one spelling)."""
    email = (email or "").strip().lower()
    local, at, domain = email.rpartition("@")
    if not at or not domain:
        return email
    try:
        # There and back through IDNA (Python's codec, IDNA 2003 with nameprep): the
        # Unicode form of the domain, as people read it.
        domain = domain.encode("idna").decode("ascii").encode("ascii").decode("idna")
    except UnicodeError:
        return email  # not a domain IDNA can spell: the form's validation refuses it
    return f"{local}@{domain.lower()}"


class User(AbstractUser):
    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, null=True, blank=True, related_name="users",
        verbose_name=_("организация"), help_text=_("Пусто — суперпользователь платформы."),
    )
    # Unique per tenant (constraints below), not globally as in AbstractUser.
    username = models.CharField(_("логин"), max_length=150)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("телефон"), max_length=16, blank=True, help_text=_("В формате +7XXXXXXXXXX."))
    middle_name = models.CharField(_("отчество"), max_length=150, blank=True)
    email_verified = models.BooleanField(_("e-mail подтверждён"), default=False)
    phone_verified = models.BooleanField(_("телефон подтверждён"), default=False)
    activation_deadline = models.DateTimeField(
        _("активировать до"), null=True, blank=True,
        help_text=_("Пусто — учётная запись активирована. Иначе после этого срока она удаляется, если так "
                    "велит политика организации."),
    )
    login_is_generated = models.BooleanField(
        _("логин сгенерирован"), default=False, help_text=_("Логин из ИНН и номера договора; пользователь его не меняет."),
    )
    registered_by_staff = models.BooleanField(
        _("зарегистрирован сотрудником"), default=False,
        help_text=_("Незавершённую регистрацию сотрудника не заменит самостоятельная регистрация с теми же контактами."),
    )

    objects = tenant_scoped_manager(base=UserManager)()

    class Meta:
        verbose_name = _("пользователь")
        verbose_name_plural = _("пользователи")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "username"], name="username_unique_per_tenant"),
            models.UniqueConstraint(
                fields=["username"], condition=Q(tenant__isnull=True), name="platform_username_unique"
            ),
            # E-mails are stored in lower case (save() below), so the plain column is the
            # index every lookup uses: ours, and allauth's filter(email=<lowered>).
            models.UniqueConstraint(fields=["tenant", "email"], condition=~Q(email=""), name="email_unique_per_tenant"),
            models.UniqueConstraint(fields=["tenant", "phone"], condition=~Q(phone=""), name="phone_unique_per_tenant"),
            models.CheckConstraint(
                condition=Q(is_superuser=False) | Q(tenant__isnull=True), name="superusers_belong_to_platform"
            ),
        ]
        indexes = [
            # allauth finds a login by username with username__iexact, which PostgreSQL runs
            # as UPPER("username"::text) = UPPER(%s): this is that expression's index.
            models.Index("tenant", Upper("username"), name="user_username_iexact"),
        ]

    def __str__(self):
        return self.username

    def save(self, *args, **kwargs):
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        # Before the constraints are validated, so that another case is a duplicate too.
        self.email = normalize_email(self.email)
        if self.is_superuser and self.tenant_id:
            raise ValidationError({"is_superuser": _("Суперпользователь принадлежит платформе, а не организации.")})
        if self.phone:
            # The admin's phone is the same input as everywhere else: one form, ASCII digits.
            try:
                self.phone = normalize_phone(self.phone)
            except ValidationError as error:
                raise ValidationError({"phone": error.messages}) from None

    def get_full_name(self):
        return " ".join(part for part in (self.last_name, self.first_name, self.middle_name) if part)

    @property
    def is_activated(self):
        """Activated: the registration's contact was confirmed (the deadline is cleared)."""
        return self.is_active and self.activation_deadline is None


class Confirmation(models.Model):
    """A one-time code and/or link sent to a phone or e-mail, for one purpose of one user.

    Only hashes are stored (codes: HMAC-SHA256 keyed by SECRET_KEY, since six digits are
    guessable offline from a plain hash; link keys: SHA-256 of 32 random bytes). A
    confirmation is single-use, expires on time, counts wrong codes, and is superseded by
    the next one sent for the same user and purpose (accounts.confirmations).
    """

    class Purpose(models.TextChoices):
        SIGNUP_PHONE = "signup_phone", _("подтверждение телефона при регистрации")
        SIGNUP_EMAIL = "signup_email", _("подтверждение e-mail при регистрации")
        PASSWORD_RESET = "password_reset", _("восстановление пароля")
        SIGNUP_CLAIM = "signup_claim", _("регистрация с контактом незавершённой регистрации")
        CHANGE_PHONE = "change_phone", _("смена телефона в профиле")
        CHANGE_EMAIL = "change_email", _("смена e-mail в профиле")

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("e-mail")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="confirmations")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    channel = models.CharField(max_length=5, choices=Channel.choices)
    destination = models.CharField(max_length=254)
    code_hash = models.CharField(max_length=64, blank=True)
    key_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # A code and a link sent in one message each keep their own lifetime (the policy's code
    # lifetime and its activation window).
    code_expires_at = models.DateTimeField(null=True, blank=True)
    key_expires_at = models.DateTimeField(null=True, blank=True)
    # What proving this confirmation carries out (a new registration that takes over an
    # abandoned one, accounts.registration.registration_claim): stored server-side, not in a
    # session, because a link may be opened in another browser.
    payload = models.JSONField(default=dict, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    superseded = models.BooleanField(default=False)

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("код подтверждения")
        verbose_name_plural = _("коды подтверждения")
        indexes = [models.Index(fields=["user", "purpose", "-created_at"])]

    def __str__(self):
        return f"{self.get_purpose_display()} → {self.destination}"


class ConsentAcceptance(models.Model):
    """A user's acceptance of one version of a consent document (152-FZ: version, time, IP)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents")
    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT, related_name="acceptances")
    accepted_at = models.DateTimeField(_("принято"), auto_now_add=True)
    ip_address = models.GenericIPAddressField(_("IP-адрес"), null=True, blank=True)
    user_agent = models.CharField(_("браузер"), max_length=500, blank=True)
    withdrawn_at = models.DateTimeField(_("отозвано"), null=True, blank=True)

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("согласие пользователя")
        verbose_name_plural = _("согласия пользователей")
        ordering = ["-accepted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "document"], condition=Q(withdrawn_at__isnull=True), name="one_live_acceptance_per_document"
            )
        ]

    def __str__(self):
        return f"{self.user} — {self.document}"
