"""Appeals («Общение», guide 003), questions to support and applications (a contract, guide
003; a grid connection, guide 001): one ``Appeal`` each, with a thread of ``Message``s both
ways and ``Attachment``s. The kind says which; an application's own fields are empty on the
other kinds.

Statuses move only along ``Appeal.TRANSITIONS``: an application starts as a draft; staff take
an appeal in work and answer it; the author's reply to an answer, or «Возобновить» after it
was closed, takes it back in work.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext_lazy as _

from billing.models import Account
from portal.models import Tenant
from portal.scoping import tenant_scoped_manager


def _private_storage():
    from django.core.files.storage import storages

    return storages["private"]


class AppealsPolicy(models.Model):
    """What a tenant's customers may apply for in the portal (each guide shows its own)."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="appeals_policy",
                                  verbose_name=_("организация"))
    contract_applications = models.BooleanField(_("заявки на заключение договора"), default=False,
                                                help_text=_("Руководство 003: объекты, затем документы."))
    grid_connection_applications = models.BooleanField(
        _("заявки на технологическое присоединение"), default=False,
        help_text=_("Руководство 001: только в активированном личном кабинете."))

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("настройки обращений и заявок")
        verbose_name_plural = _("настройки обращений и заявок")

    def __str__(self):
        return str(self.tenant)


class Topic(models.Model):
    """A topic of appeals, the tenant's list (guide 003's ten for mef); the support topic
    receives questions to technical support."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("организация"))
    name = models.CharField(_("тема"), max_length=200)
    is_support = models.BooleanField(_("вопросы в техподдержку"), default=False,
                                     help_text=_("Сюда попадают вопросы со страницы «Поддержка»."))
    is_active = models.BooleanField(_("предлагается"), default=True)
    order = models.PositiveSmallIntegerField(_("порядок"), default=0)

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("тема обращений")
        verbose_name_plural = _("темы обращений")
        ordering = ["order", "name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="topic_unique_name")]

    def __str__(self):
        return self.name


class AppealCounter(models.Model):
    """The last number a tenant gave an appeal or application: numbers go 1, 2, 3… per
    tenant, so no customer learns from theirs how many appeals other tenants receive."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, primary_key=True, related_name="+",
                                  verbose_name=_("организация"))
    last_number = models.PositiveIntegerField(_("последний номер"), default=0)

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("счётчик номеров обращений")
        verbose_name_plural = _("счётчики номеров обращений")

    def __str__(self):
        return f"{self.tenant}: {self.last_number}"

    @classmethod
    def next_number(cls, tenant_id):
        """The tenant's next number. The counter's row stays locked until the caller's
        transaction ends, so appeals written at once get one number each, in turn; a
        number taken by a transaction that rolls back is taken back with it. The row is
        made with the tenant's first appeal (two first appeals at once: the second insert
        waits for the first to commit, fails, and locks the row the first made)."""
        counters = cls._base_manager.filter(tenant_id=tenant_id)
        with transaction.atomic():
            counter = counters.select_for_update().first()
            if counter is None:
                try:
                    with transaction.atomic():
                        counter = cls._base_manager.create(tenant_id=tenant_id)
                except IntegrityError:
                    counter = counters.select_for_update().get()
            counter.last_number += 1
            counter.save(update_fields=["last_number"])
        return counter.last_number


class Appeal(models.Model):
    class Kind(models.TextChoices):
        APPEAL = "appeal", _("обращение")
        SUPPORT = "support", _("вопрос в техподдержку")
        CONTRACT = "contract", _("заявка на заключение договора")
        GRID_CONNECTION = "grid", _("заявка на технологическое присоединение")

    class Status(models.TextChoices):
        DRAFT = "draft", _("черновик")
        NEW = "new", _("новое")
        IN_PROGRESS = "in_progress", _("в работе")
        ANSWERED = "answered", _("есть ответ")
        CLOSED = "closed", _("закрыто")

    TRANSITIONS = {
        Status.DRAFT: {Status.NEW},
        Status.NEW: {Status.IN_PROGRESS, Status.ANSWERED, Status.CLOSED},
        Status.IN_PROGRESS: {Status.ANSWERED, Status.CLOSED},
        Status.ANSWERED: {Status.IN_PROGRESS, Status.CLOSED},
        Status.CLOSED: {Status.IN_PROGRESS},  # reopened
    }

    class Stage(models.TextChoices):
        """Where a sent grid-connection application is (guide 001), in their order. Staff move
        it in the admin (``applications.services.application_stage_move``), the applicant is
        told; every move is an ``ApplicationStageChange``."""

        SUBMITTED = "submitted", _("подана")
        ACCEPTED = "accepted", _("принята")
        CONTRACT = "contract", _("договор")
        CONDITIONS = "conditions", _("технические условия")
        DONE = "done", _("исполнена")

    class Voltage(models.TextChoices):
        V04 = "0.4", _("0,4 кВ")
        V6 = "6", _("6 кВ")
        V10 = "10", _("10 кВ")
        V20 = "20", _("20 кВ")
        V35 = "35", _("35 кВ")
        V110 = "110", _("110 кВ и выше")

    class Reliability(models.TextChoices):
        I = "1", _("I категория")  # noqa: E741 - the category's own name
        II = "2", _("II категория")
        III = "3", _("III категория")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("организация"))
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The tenant's own sequence (AppealCounter), given when the row is first saved; URLs use
    # public_id.
    number = models.PositiveIntegerField(_("номер"), editable=False)
    kind = models.CharField(_("вид"), max_length=10, choices=Kind.choices, default=Kind.APPEAL)
    status = models.CharField(_("статус"), max_length=12, choices=Status.choices, default=Status.NEW)
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, null=True, blank=True, related_name="appeals",
                              verbose_name=_("тема"))
    account = models.ForeignKey(Account, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("лицевой счёт"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="appeals", verbose_name=_("автор"))
    # A visitor's question to support: whom to answer.
    contact_name = models.CharField(_("имя"), max_length=200, blank=True)
    contact_email = models.EmailField(_("e-mail для ответа"), blank=True)
    contact_phone = models.CharField(_("телефон для ответа"), max_length=16, blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("исполнитель"))
    # Applications (empty on appeals).
    subscriber_type = models.CharField(_("тип абонента"), max_length=10, blank=True,
                                       choices=Account.SubscriberType.choices)
    applicant = models.CharField(_("заявитель"), max_length=300, blank=True)
    object_address = models.CharField(_("адрес объекта"), max_length=500, blank=True)
    max_power_kw = models.DecimalField(_("максимальная мощность, кВт"), max_digits=9, decimal_places=2, null=True,
                                       blank=True)
    voltage = models.CharField(_("уровень напряжения"), max_length=4, choices=Voltage.choices, blank=True)
    reliability = models.CharField(_("категория надёжности"), max_length=1, choices=Reliability.choices,
                                   blank=True)
    # A sent grid-connection application's stage (empty on drafts and other kinds).
    stage = models.CharField(_("этап"), max_length=12, choices=Stage.choices, blank=True)
    created_at = models.DateTimeField(_("создано"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("отправлено"), null=True, blank=True)
    updated_at = models.DateTimeField(_("изменено"), auto_now=True)
    # Staff wrote since the author last looked: the menu's counter.
    unread_by_author = models.BooleanField(_("не прочитано автором"), default=False)

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("обращение или заявка")
        verbose_name_plural = _("обращения и заявки")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["author", "-created_at"], name="appeal_author_recent"),
            models.Index(fields=["author"], condition=models.Q(unread_by_author=True), name="appeal_unread"),
            models.Index(fields=["tenant", "status"], name="appeal_queue"),
        ]
        constraints = [models.UniqueConstraint(fields=["tenant", "number"], name="appeal_unique_number")]

    def __str__(self):
        return f"№ {self.number} · {self.get_kind_display()}"

    def save(self, *args, **kwargs):
        if self.number is not None:
            return super().save(*args, **kwargs)
        try:
            with transaction.atomic():  # the number and the row, or neither
                self.number = AppealCounter.next_number(self.tenant_id)
                return super().save(*args, **kwargs)
        except BaseException:
            self.number = None
            raise

    @property
    def is_application(self):
        return self.kind in (self.Kind.CONTRACT, self.Kind.GRID_CONNECTION)

    def can_become(self, status):
        return status in self.TRANSITIONS[self.Status(self.status)]


class ApplicationStageChange(models.Model):
    """One move of an application's stage: to which stage, who moved it (the applicant for
    «подана», staff after), when."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("организация"))
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="stage_changes",
                               verbose_name=_("заявка"))
    stage = models.CharField(_("этап"), max_length=12, choices=Appeal.Stage.choices)
    moved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("кто перевёл"))
    moved_at = models.DateTimeField(_("когда"), auto_now_add=True)

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("этап заявки")
        verbose_name_plural = _("этапы заявки")
        ordering = ["moved_at", "pk"]

    def __str__(self):
        return self.get_stage_display()


class ApplicationObject(models.Model):
    """An object of a contract application (guide 003): its address and purpose."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("организация"))
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="objects_list",
                               verbose_name=_("заявка"))
    address = models.CharField(_("адрес"), max_length=500)
    purpose = models.CharField(_("назначение"), max_length=300)

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("объект заявки")
        verbose_name_plural = _("объекты заявки")
        ordering = ["pk"]

    def __str__(self):
        return self.address


class Message(models.Model):
    """One message of a thread: the author's («отправленные») or staff's («полученные»)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("организация"))
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="messages", verbose_name=_("обращение"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("автор"))
    from_staff = models.BooleanField(_("от специалиста"), default=False)
    text = models.TextField(_("текст"), max_length=10000)
    created_at = models.DateTimeField(_("отправлено"), auto_now_add=True)

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("сообщение")
        verbose_name_plural = _("сообщения")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.text[:60]


def _attachment_path(attachment, filename):
    # Per tenant, under a random name: the person's file name is kept in the row only.
    return f"appeals/{attachment.tenant_id}/{uuid.uuid4().hex}"


_attachment_path.folder = "appeals/"  # where the orphan-file sweep looks (portal.services)


class Attachment(models.Model):
    """A file of an appeal or application, kept privately: no URL serves the storage; a view
    that checks who asks streams it as a download."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("организация"))
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="attachments",
                               verbose_name=_("обращение"))
    message = models.ForeignKey(Message, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="attachments", verbose_name=_("сообщение"))
    file = models.FileField(_("файл"), upload_to=_attachment_path, storage=_private_storage, max_length=300)
    name = models.CharField(_("имя файла"), max_length=200)
    content_type = models.CharField(_("тип"), max_length=100)
    size = models.PositiveIntegerField(_("размер, байт"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("загрузил"))
    created_at = models.DateTimeField(_("загружено"), auto_now_add=True)

    objects = tenant_scoped_manager()()

    class Meta:
        verbose_name = _("вложение")
        verbose_name_plural = _("вложения")
        ordering = ["pk"]
        indexes = [
            # The daily quotas of files (appeals.services.refuse_over_quota).
            models.Index(fields=["uploaded_by", "created_at"], name="attachment_user_day"),
            models.Index(fields=["tenant", "created_at"], name="attachment_tenant_day"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.message_id and self.message.appeal_id != self.appeal_id:
            raise ValidationError("the message belongs to another appeal")
