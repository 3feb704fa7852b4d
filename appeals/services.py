"""Appeals, support questions and applications: writing them, the thread, statuses, and
telling the author when staff answer.

Files a customer attaches count against two daily quotas (``USER_BYTES_PER_DAY``,
``TENANT_BYTES_PER_DAY``), checked before anything of them is stored (``files_store``)."""

import datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.messages import notify_user, send_email, send_sms
from portal import versions
from portal.hosts import tenant_base_url

from .models import Appeal, Attachment, Message
from .versions import UNREAD, UNREAD_TIMEOUT, unread_cache_key


class AppealRefused(Exception):
    """A move the appeal's status does not allow; the message is for the person."""


def unread_count(user):
    """How many of the user's appeals have an answer they have not read (the menu's counter);
    from the cache while none of the user's appeals changed."""
    return versions.cached(
        unread_cache_key(user.pk), scopes=[(UNREAD, user.pk)], timeout=UNREAD_TIMEOUT,
        build=lambda: Appeal.objects.filter(author=user, unread_by_author=True).count())


# Rate limits: what one customer may send (only forms that passed their checks count); the
# views apply them with portal.ratelimits.
APPEALS_PER_HOUR, APPEALS_PER_DAY = "10/h", "30/d"
REPLIES_PER_HOUR = "60/h"
QUESTIONS_PER_HOUR_VISITOR, QUESTIONS_PER_HOUR_USER = "5/h", "10/h"

# What a customer may store in a day (the tenant's calendar day): two full forms of five
# 10 MB files. And what all of a tenant's users may store in a day together: the disk one
# tenant's customers can fill, whatever number of accounts they register.
USER_BYTES_PER_DAY = 100 * 1024 * 1024
TENANT_BYTES_PER_DAY = 5 * 1024 * 1024 * 1024

# The notice of a staff answer (templates/appeals/messages/answered.*).
ANSWERED = "appeals/messages/answered"


def _stored_since(attachments, since):
    return attachments.filter(created_at__gte=since).aggregate(total=Sum("size"))["total"] or 0


def refuse_over_quota(*, tenant, user, size):
    """AppealRefused, with what is left, when ``size`` more bytes from ``user`` would take
    their files stored today, or the tenant's, past a daily quota. Staff are not limited.

    The user's row is locked for the rest of the transaction, so that one person's uploads
    sent at once are counted one after another. The tenant's sum is not locked (that would
    make every customer's upload wait for the others'): it can be passed by at most the
    uploads in flight at the moment it is reached, which the number of web workers bounds."""
    if user is None or user.is_staff or not size:
        return
    list(get_user_model()._base_manager.select_for_update().filter(pk=user.pk).values_list("pk"))
    since = datetime.datetime.combine(tenant.today(), datetime.time.min, tzinfo=tenant.zone)
    used = _stored_since(Attachment.objects.filter(uploaded_by=user), since)
    if used + size > USER_BYTES_PER_DAY:
        raise AppealRefused(_(
            "Файлы не приложены: за день можно загрузить не больше %(limit)s, сегодня вы уже загрузили %(used)s, "
            "а эти файлы занимают %(size)s. Отправьте файлы завтра или уменьшите их."
        ) % {"limit": filesizeformat(USER_BYTES_PER_DAY), "used": filesizeformat(used), "size": filesizeformat(size)})
    if _stored_since(Attachment.objects.filter(tenant=tenant), since) + size > TENANT_BYTES_PER_DAY:
        raise AppealRefused(_(
            "Файлы не приложены: сегодня личный кабинет уже принял столько файлов, сколько может за день. "
            "Отправьте файлы завтра или без файлов."
        ))


def files_store(*, tenant, user, files):
    """Checked files (``attachments.check_files``) stored, as unsaved Attachments for the
    caller to tie to an appeal and save; refused first, with nothing stored, when a daily
    quota would be passed (``refuse_over_quota``)."""
    refuse_over_quota(tenant=tenant, user=user, size=sum(checked.size for checked in files))
    stored = []
    try:
        for checked in files:
            attachment = Attachment(tenant=tenant, name=checked.name, content_type=checked.content_type,
                                    size=checked.size, uploaded_by=user)
            attachment.file.save(checked.name, checked.upload, save=False)
            stored.append(attachment)
    except BaseException:
        stored_forget(stored)
        raise
    return stored


def stored_forget(stored):
    """Delete the files of Attachments that were stored and will not be saved."""
    for attachment in stored:
        attachment.file.storage.delete(attachment.file.name)


def stored_save(stored, appeal, message):
    """Save stored Attachments on the appeal, and on ``message`` when given (an
    application's documents have none until it is sent)."""
    for attachment in stored:
        attachment.appeal, attachment.message = appeal, message
        attachment.save()


def files_attach(appeal, message, files, user):
    """store_files, then save them on the appeal (and ``message``)."""
    stored_save(files_store(tenant=appeal.tenant, user=user, files=files), appeal, message)


def appeal_create(*, tenant, author, kind=Appeal.Kind.APPEAL, topic=None, account=None, text, files=(),
                  contact_name="", contact_email="", contact_phone="", public_id=None):
    """A new appeal or support question with its first message and files. With the form's
    ``public_id``, the same form sent twice makes one appeal (the second gets the first's;
    AppealRefused if that id is someone else's). AppealRefused, with nothing stored, over a
    daily quota of files.

    The files are stored before the appeal's row is written: the row takes the tenant's next
    number (``AppealCounter``), whose lock is then held only for the few rows left."""
    stored = []
    try:
        with transaction.atomic():
            stored = files_store(tenant=tenant, user=author, files=files)
            appeal = Appeal.objects.create(
                tenant=tenant, author=author, kind=kind, topic=topic, account=account, status=Appeal.Status.NEW,
                contact_name=contact_name, contact_email=contact_email, contact_phone=contact_phone,
                submitted_at=timezone.now(), **({"public_id": public_id} if public_id else {}),
            )
            message = Message.objects.create(tenant=tenant, appeal=appeal, author=author, text=text)
            stored_save(stored, appeal, message)
    except IntegrityError:
        stored_forget(stored)
        appeal = Appeal.objects.filter(public_id=public_id, author=author).first() if author else None
        if appeal is None:
            raise AppealRefused(_("Эта форма устарела. Откройте её заново.")) from None
    except BaseException:
        stored_forget(stored)
        raise
    return appeal


def appeal_reply(appeal, *, user, text, files=()):
    """The author writes again; an answered or closed appeal goes back in work."""
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if appeal.status == Appeal.Status.DRAFT:
            raise AppealRefused(_("Сначала отправьте заявку."))
        message = Message.objects.create(tenant=appeal.tenant, appeal=appeal, author=user, text=text)
        files_attach(appeal, message, files, user)
        if appeal.status in (Appeal.Status.ANSWERED, Appeal.Status.CLOSED):
            appeal.status = Appeal.Status.IN_PROGRESS
        appeal.save()
    return appeal


def appeal_answer(appeal, *, staff, text, files=(), status=Appeal.Status.ANSWERED):
    """Staff answer: the message, its files, the status (answered unless told otherwise),
    and the author told by e-mail or SMS."""
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if status != appeal.status:  # refused before any file is stored
            appeal_set_status(appeal, status, save=False)
        message = Message.objects.create(tenant=appeal.tenant, appeal=appeal, author=staff, from_staff=True,
                                         text=text)
        files_attach(appeal, message, files, staff)
        appeal.unread_by_author = True
        appeal.save()
        _notify_author(appeal)
    return message


def appeal_set_status(appeal, status, *, save=True):
    if status != appeal.status and not appeal.can_become(status):
        raise AppealRefused(_("Статус «%(old)s» нельзя сменить на «%(new)s».") % {
            "old": appeal.get_status_display(), "new": Appeal.Status(status).label})
    appeal.status = status
    if save:
        appeal.save(update_fields=["status", "updated_at"])


def appeal_mark_read(appeal):
    """The author opened the thread."""
    if appeal.unread_by_author:
        Appeal.objects.filter(pk=appeal.pk).update(unread_by_author=False)
        appeal.unread_by_author = False


def appeal_reopen(appeal, *, user):
    """«Возобновить» a closed appeal (AppealRefused for any other)."""
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if appeal.status != Appeal.Status.CLOSED:
            raise AppealRefused(_("Возобновить можно только закрытое обращение."))
        appeal_set_status(appeal, Appeal.Status.IN_PROGRESS)
    return appeal


def _notify_author(appeal):
    """The author by their own e-mail, else SMS; a visitor (or an author with no contact of
    their own) by the contact given with the appeal — a visitor gets the answer itself, having
    no personal account to read it in."""
    user = appeal.author
    context = {"appeal": appeal}
    if user is not None:
        context["link"] = tenant_base_url(appeal.tenant) + reverse("appeals:detail",
                                                                   kwargs={"public_id": appeal.public_id})
        if user.email or user.phone:
            notify_user(user=user, template=ANSWERED, **context)
            return
    else:
        context["answer"] = appeal.messages.filter(from_staff=True).last().text
    if appeal.contact_email:
        send_email(tenant=appeal.tenant, to=appeal.contact_email, template=ANSWERED, user=user, **context)
    elif appeal.contact_phone:
        send_sms(tenant=appeal.tenant, to=appeal.contact_phone, template=ANSWERED, user=user, **context)
