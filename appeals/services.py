"""Appeals, support questions and applications: writing them, the thread, statuses, and
telling the author when staff answer."""

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import services as portal_services
from portal.hosts import tenant_base_url

from .models import Appeal, Attachment, Message


class AppealRefused(Exception):
    """A move the appeal's status does not allow; the message is for the person."""


def unread_cache_key(user_id):
    return f"appeals:unread:{user_id}"


def unread_count(user):
    """How many of the user's appeals have an answer they have not read (the menu's counter);
    from the cache, which every change of it clears."""
    key = unread_cache_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = Appeal.objects.filter(author=user, unread_by_author=True).count()
        # A minute: a count read just before an answer commits, and written just after the
        # answer cleared the key, is wrong for that long at most.
        cache.set(key, count, 60)
    return count


def _forget_unread(appeal):
    if appeal.author_id:
        user_id = appeal.author_id
        transaction.on_commit(lambda: cache.delete(unread_cache_key(user_id)))


def attach_files(appeal, message, files, user):
    """Store checked files (``attachments.check_files``) on the appeal, and on ``message``
    when given (an application's documents have none until it is sent)."""
    for checked in files:
        attachment = Attachment(tenant=appeal.tenant, appeal=appeal, message=message, name=checked.name,
                                content_type=checked.content_type, size=checked.size, uploaded_by=user)
        attachment.file.save(checked.name, checked.upload, save=False)
        attachment.save()


def appeal_create(*, tenant, author, kind=Appeal.Kind.APPEAL, topic=None, account=None, text, files=(),
                  contact_name="", contact_email="", contact_phone="", public_id=None):
    """A new appeal or support question with its first message and files. With the form's
    ``public_id``, the same form sent twice makes one appeal (the second gets the first's;
    AppealRefused if that id is someone else's)."""
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(
                tenant=tenant, author=author, kind=kind, topic=topic, account=account, status=Appeal.Status.NEW,
                contact_name=contact_name, contact_email=contact_email, contact_phone=contact_phone,
                submitted_at=timezone.now(), **({"public_id": public_id} if public_id else {}),
            )
            message = Message.objects.create(tenant=tenant, appeal=appeal, author=author, text=text)
            attach_files(appeal, message, files, author)
    except IntegrityError:
        appeal = Appeal.objects.filter(public_id=public_id, author=author).first() if author else None
        if appeal is None:
            raise AppealRefused(_("Эта форма устарела. Откройте её заново.")) from None
    return appeal


def author_reply(appeal, *, user, text, files=()):
    """The author writes again; an answered or closed appeal goes back in work."""
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if appeal.status == Appeal.Status.DRAFT:
            raise AppealRefused(_("Сначала отправьте заявку."))
        message = Message.objects.create(tenant=appeal.tenant, appeal=appeal, author=user, text=text)
        attach_files(appeal, message, files, user)
        if appeal.status in (Appeal.Status.ANSWERED, Appeal.Status.CLOSED):
            appeal.status = Appeal.Status.IN_PROGRESS
        appeal.save()
    return appeal


def staff_answer(appeal, *, staff, text, files=(), status=Appeal.Status.ANSWERED):
    """Staff answer: the message, its files, the status (answered unless told otherwise),
    and the author told by e-mail or SMS."""
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if status != appeal.status:  # refused before any file is stored
            set_status(appeal, status, save=False)
        message = Message.objects.create(tenant=appeal.tenant, appeal=appeal, author=staff, from_staff=True,
                                         text=text)
        attach_files(appeal, message, files, staff)
        appeal.unread_by_author = True
        appeal.save()
        _forget_unread(appeal)
        _notify_author(appeal)
    return message


def set_status(appeal, status, *, save=True):
    if status != appeal.status and not appeal.can_become(status):
        raise AppealRefused(_("Статус «%(old)s» нельзя сменить на «%(new)s».") % {
            "old": appeal.get_status_display(), "new": Appeal.Status(status).label})
    appeal.status = status
    if save:
        appeal.save(update_fields=["status", "updated_at"])


def mark_read(appeal):
    """The author opened the thread."""
    if appeal.unread_by_author:
        Appeal.objects.filter(pk=appeal.pk).update(unread_by_author=False)
        appeal.unread_by_author = False
        cache.delete(unread_cache_key(appeal.author_id))  # this very page's menu counts it
        _forget_unread(appeal)


def reopen(appeal, *, user):
    """«Возобновить» a closed appeal (AppealRefused for any other)."""
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if appeal.status != Appeal.Status.CLOSED:
            raise AppealRefused(_("Возобновить можно только закрытое обращение."))
        set_status(appeal, Appeal.Status.IN_PROGRESS)
    return appeal


def application_submit(appeal):
    """A draft application goes to staff (new)."""
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
        set_status(appeal, Appeal.Status.NEW, save=False)
        appeal.submitted_at = timezone.now()
        appeal.save()
    return appeal


def _notify_author(appeal):
    """E-mail or SMS: the author's contacts, or a visitor's contact for the answer."""
    user = appeal.author
    email = (user.email if user else "") or appeal.contact_email
    phone = (user.phone if user else "") or appeal.contact_phone
    what = appeal.get_kind_display()
    if email:
        link = ""
        if user is not None:
            from django.urls import reverse

            link = tenant_base_url(appeal.tenant) + reverse("appeals:detail", kwargs={"public_id": appeal.public_id})
        body = _("Здравствуйте!\n\nНа ваше %(what)s № %(number)s пришёл ответ специалиста.\n%(link)s") % {
            "what": what, "number": appeal.number, "link": link or _("Ответ — в письме ниже.")}
        if user is None:  # a visitor has no personal account to read it in: the answer itself
            body += "\n\n" + appeal.messages.filter(from_staff=True).last().text
        portal_services.message_send_email(tenant=appeal.tenant, to=email,
                                           subject=_("Ответ на обращение № %(number)s") % {"number": appeal.number},
                                           body=body, user_id=user.pk if user else None)
    elif phone and user is None:  # a visitor: the answer itself, as far as an SMS carries it
        answer = appeal.messages.filter(from_staff=True).last().text
        portal_services.message_send_sms(tenant=appeal.tenant, to=phone, text=_(
            "Ответ на вопрос № %(number)s: %(answer)s") % {"number": appeal.number, "answer": answer[:500]})
    elif phone:
        portal_services.message_send_sms(tenant=appeal.tenant, to=phone, text=_(
            "Ответ на обращение № %(number)s в личном кабинете %(tenant)s.") % {
                "number": appeal.number, "tenant": appeal.tenant.short_name}, user_id=user.pk)
