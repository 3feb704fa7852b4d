"""Applications: a contract (guide 003: the subscriber type and a list of objects, then the
documents) and a grid connection (guide 001: the applicant, the object, its power, voltage and
reliability category, then the documents; only in an activated personal account).

Each is an ``Appeal`` of its kind that starts as a draft of its author: saved, edited and
resumed until «Отправить заявку» makes it new (``application_submit``); from then on
it has a status and a thread like any appeal. Every change locks the draft's row, so that two
tabs cannot together attach more than ``MAX_DOCUMENTS`` files or change a draft as it goes.
"""

from decimal import Decimal

from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Account
from portal.hosts import tenant_base_url

from .. import attachments, services
from ..models import Appeal, ApplicationObject, ApplicationStageChange, Attachment, Message

# Documents of one application, all uploads together.
MAX_DOCUMENTS = attachments.MAX_FILES
# Objects of one contract application.
MAX_OBJECTS = 20
# Rate limits, applied by the views: drafts started and documents uploaded per user.
DRAFTS_PER_HOUR = "30/h"
UPLOADS_PER_HOUR = "60/h"
# The greatest maximum power a grid-connection application may ask for, kW.
MAX_POWER_KW = Decimal("100000")


class ApplicationRefused(Exception):
    """What the person asked cannot be done; the message is for them."""


def _locked_draft(appeal, *, author, kind):
    """The draft's row, locked for this transaction; refused once it was sent."""
    locked = Appeal.objects.select_for_update().get(pk=appeal.pk)
    if locked.author_id != author.pk or locked.kind != kind:
        raise ApplicationRefused(_("Заявка не найдена."))
    if locked.status != Appeal.Status.DRAFT:
        raise ApplicationRefused(_("Заявка уже отправлена: изменить её нельзя, можно написать в переписке по ней."))
    return locked


def _refuse_unless_activated(user):
    if not user.is_activated:  # guide 001: documents only in an activated cabinet
        raise ApplicationRefused(_("Заявку на технологическое присоединение можно подать только в активированном "
                                   "личном кабинете. Подтвердите e-mail по ссылке из письма."))


def contract_draft_save(*, tenant, author, subscriber_type, objects, appeal=None):
    """Create a contract application's draft, or change one: the subscriber type and its
    objects (address, purpose), which replace the draft's previous ones."""
    objects = [(address.strip(), purpose.strip()) for address, purpose in objects]
    if subscriber_type not in Account.SubscriberType.values:
        raise ApplicationRefused(_("Укажите тип абонента."))
    if not objects or not all(address and purpose for address, purpose in objects):
        raise ApplicationRefused(_("Добавьте хотя бы один объект."))
    if len(objects) > MAX_OBJECTS:
        raise ApplicationRefused(_("В одной заявке не больше %(count)d объектов.") % {"count": MAX_OBJECTS})
    with transaction.atomic():
        if appeal is None:
            appeal = Appeal.objects.create(tenant=tenant, author=author, kind=Appeal.Kind.CONTRACT,
                                           status=Appeal.Status.DRAFT, subscriber_type=subscriber_type)
        else:
            appeal = _locked_draft(appeal, author=author, kind=Appeal.Kind.CONTRACT)
            appeal.subscriber_type = subscriber_type
            appeal.save()
            appeal.objects_list.all().delete()
        ApplicationObject.objects.bulk_create([
            ApplicationObject(tenant=appeal.tenant, appeal=appeal, address=address, purpose=purpose)
            for address, purpose in objects
        ])
    return appeal


GRID_FIELDS = ("applicant", "object_address", "max_power_kw", "voltage", "reliability")


def grid_draft_save(*, tenant, author, applicant, object_address, max_power_kw, voltage, reliability, appeal=None):
    """Create a grid-connection application's draft, or change one; only in an activated
    personal account."""
    _refuse_unless_activated(author)
    if max_power_kw is None or not 0 < max_power_kw <= MAX_POWER_KW or voltage not in Appeal.Voltage.values \
            or reliability not in Appeal.Reliability.values or not applicant.strip() or not object_address.strip():
        raise ApplicationRefused(_("Заполните все сведения о заявителе и объекте."))
    fields = {"applicant": applicant.strip(), "object_address": object_address.strip(), "max_power_kw": max_power_kw,
              "voltage": voltage, "reliability": reliability}
    with transaction.atomic():
        if appeal is None:
            appeal = Appeal.objects.create(tenant=tenant, author=author, kind=Appeal.Kind.GRID_CONNECTION,
                                           status=Appeal.Status.DRAFT, **fields)
        else:
            appeal = _locked_draft(appeal, author=author, kind=Appeal.Kind.GRID_CONNECTION)
            for name, value in fields.items():
                setattr(appeal, name, value)
            appeal.save()
    return appeal


def documents_add(appeal, *, user, files):
    """Attach checked files (``attachments.check_files``) to the draft: at most
    ``MAX_DOCUMENTS`` in all, counting those already attached, and within the daily quotas
    of files (``services.refuse_over_quota``)."""
    if appeal.kind == Appeal.Kind.GRID_CONNECTION:
        _refuse_unless_activated(user)
    with transaction.atomic():
        locked = _locked_draft(appeal, author=user, kind=appeal.kind)
        already = Attachment.objects.filter(appeal=locked, message__isnull=True).count()
        if already + len(files) > MAX_DOCUMENTS:
            raise ApplicationRefused(documents_limit_message(already))
        try:
            services.files_attach(locked, None, files, user)
        except services.AppealRefused as refused:
            raise ApplicationRefused(str(refused)) from None
        locked.save(update_fields=["updated_at"])
    return locked


def documents_limit_message(already):
    left = max(MAX_DOCUMENTS - already, 0)
    if not left:
        return _("К заявке можно приложить не больше %(max)d документов, и все %(max)d уже приложены. "
                 "Чтобы заменить документ, сначала удалите ненужный.") % {"max": MAX_DOCUMENTS}
    return _("К заявке можно приложить не больше %(max)d документов: уже приложено %(already)d, "
             "можно добавить ещё %(left)d.") % {"max": MAX_DOCUMENTS, "already": already, "left": left}


def document_remove(appeal, *, user, attachment_id):
    """Remove one of the draft's documents (the file too, once the removal is committed)."""
    with transaction.atomic():
        locked = _locked_draft(appeal, author=user, kind=appeal.kind)
        attachment = Attachment.objects.filter(appeal=locked, message__isnull=True, pk=attachment_id).first()
        if attachment is None:
            raise ApplicationRefused(_("Такого документа в заявке нет."))
        attachment.delete()
        file = attachment.file
        transaction.on_commit(lambda: file.storage.delete(file.name))
        locked.save(update_fields=["updated_at"])
    return attachment


def application_problems(appeal):
    """What the draft still lacks before it can be sent: messages for the person."""
    problems = []
    if appeal.kind == Appeal.Kind.CONTRACT:
        if not appeal.subscriber_type:
            problems.append(_("Укажите тип абонента."))
        if not appeal.objects_list.exists():
            problems.append(_("Добавьте хотя бы один объект."))
    else:
        if not all((appeal.applicant, appeal.object_address, appeal.max_power_kw, appeal.voltage,
                    appeal.reliability)):
            problems.append(_("Заполните все сведения о заявителе и объекте."))
    if not Attachment.objects.filter(appeal=appeal, message__isnull=True).exists():
        problems.append(_("Приложите хотя бы один документ."))
    return problems


def application_summary(appeal):
    """The application as the first message of its thread: what staff read, and what the
    author sees of it there, with its documents."""
    lines = [appeal.get_kind_display().capitalize() + "."]
    if appeal.kind == Appeal.Kind.CONTRACT:
        lines.append(_("Тип абонента: %(type)s.") % {"type": appeal.get_subscriber_type_display()})
        lines.append(_("Объекты:"))
        lines += [f"{number}. {item.address} — {item.purpose}"
                  for number, item in enumerate(appeal.objects_list.all(), start=1)]
    else:
        power = f"{appeal.max_power_kw.normalize():f}".replace(".", ",")
        lines += [
            _("Заявитель: %(value)s") % {"value": appeal.applicant},
            _("Адрес объекта: %(value)s") % {"value": appeal.object_address},
            _("Максимальная мощность: %(value)s кВт") % {"value": power},
            _("Уровень напряжения: %(value)s") % {"value": appeal.get_voltage_display()},
            _("Категория надёжности: %(value)s") % {"value": appeal.get_reliability_display()},
        ]
    return "\n".join(lines)


def application_submit(appeal, *, user):
    """«Отправить заявку»: the complete draft goes to staff (new).
    Its thread starts with the author's message: the application's summary, carrying its
    documents, as an appeal's first message carries its files."""
    if appeal.kind == Appeal.Kind.GRID_CONNECTION:
        _refuse_unless_activated(user)
    with transaction.atomic():
        locked = _locked_draft(appeal, author=user, kind=appeal.kind)
        problems = application_problems(locked)
        if problems:
            raise ApplicationRefused(" ".join(problems))
        message = Message.objects.create(tenant=locked.tenant, appeal=locked, author=user,
                                         text=application_summary(locked))
        Attachment.objects.filter(appeal=locked, message__isnull=True).update(message=message)
        services.appeal_set_status(locked, Appeal.Status.NEW, save=False)
        locked.submitted_at = timezone.now()
        if locked.kind == Appeal.Kind.GRID_CONNECTION:
            locked.stage = Appeal.Stage.SUBMITTED
            ApplicationStageChange.objects.create(tenant=locked.tenant, appeal=locked, stage=locked.stage,
                                                  moved_by=user)
        locked.save()
    return locked


# --- Stages of a grid-connection application ---------------------------------------------------

STAGES = list(Appeal.Stage)


def stage_refusal(appeal, stage):
    """Why staff may not move ``appeal`` to ``stage`` now, or None.

    The rule: a sent grid-connection application moves forward to any later stage (a
    contract and the technical conditions may come together), and back by one stage only, to
    undo a mistaken move; «подана» is the applicant's, so nobody moves it back there."""
    if appeal.kind != Appeal.Kind.GRID_CONNECTION:
        return _("Этапы есть только у заявок на технологическое присоединение.")
    if appeal.status == Appeal.Status.DRAFT or not appeal.stage:
        return _("Заявка ещё не подана: этап появится, когда заявитель её отправит.")
    if stage not in Appeal.Stage.values:
        return _("Такого этапа нет.")
    old, new = STAGES.index(Appeal.Stage(appeal.stage)), STAGES.index(Appeal.Stage(stage))
    if new < old - 1 or (new < old and new == 0):
        return _("Назад заявку можно вернуть только на один этап, и не на «подана»: сейчас она на этапе "
                 "«%(old)s».") % {"old": appeal.get_stage_display()}
    return None


def application_stage_move(appeal, stage, *, by):
    """Staff move a sent grid-connection application to ``stage`` (``stage_refusal``'s rule,
    checked under the row's lock). The move is kept with who made it and when, the
    application shows as unread in the applicant's menu, and the applicant is told (e-mail,
    else SMS). Moving to the current stage changes nothing."""
    from accounts.messages import notify_user

    with transaction.atomic():
        locked = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if stage == locked.stage:
            return locked
        refused = stage_refusal(locked, stage)
        if refused:
            raise ApplicationRefused(refused)
        backwards = STAGES.index(Appeal.Stage(stage)) < STAGES.index(Appeal.Stage(locked.stage))
        locked.stage = stage
        locked.unread_by_author = locked.author_id is not None
        locked.save(update_fields=["stage", "unread_by_author", "updated_at"])
        ApplicationStageChange.objects.create(tenant=locked.tenant, appeal=locked, stage=stage, moved_by=by)
        if locked.author_id:
            author_id = locked.author_id
            transaction.on_commit(lambda: cache.delete(services.unread_cache_key(author_id)))
            link = tenant_base_url(locked.tenant) + reverse("appeals:detail", kwargs={"public_id": locked.public_id})
            notify_user(user=locked.author, template="appeals/messages/application_stage", appeal=locked,
                        stage=locked.get_stage_display(), backwards=backwards, link=link)
    return locked
