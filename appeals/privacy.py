"""A user's appeals, for the privacy app (privacy/registry.py explains the contract): the
appeals and applications they wrote, their own messages and the names of the files they
attached.

Erasure deletes the user's appeals with their threads and files: free text and files carry
personal data that no rule could reliably strip (names, addresses, scans of documents), and
an appeal without its author can be answered to no one."""

from django.db import transaction

from .models import Appeal, Attachment, Message


def export_user_data(user):
    appeals = Appeal.objects.filter(author=user).select_related("topic", "account").order_by("created_at", "pk")
    messages = (Message.objects.filter(author=user, from_staff=False).select_related("appeal")
                .order_by("created_at", "pk"))
    attachments = (Attachment.objects.filter(uploaded_by=user).select_related("appeal")
                   .order_by("created_at", "pk"))
    return {
        "appeals": [{
            "number": appeal.number,
            "kind": appeal.get_kind_display(),
            "topic": appeal.topic.name if appeal.topic else None,
            "account_number": appeal.account.number if appeal.account else None,
            "status": appeal.get_status_display(),
            "applicant": appeal.applicant,
            "object_address": appeal.object_address,
            "max_power_kw": appeal.max_power_kw,
            "created_at": appeal.created_at,
            "submitted_at": appeal.submitted_at,
        } for appeal in appeals],
        "appeal_messages": [{
            "appeal_number": message.appeal.number,
            "text": message.text,
            "sent_at": message.created_at,
        } for message in messages],
        "appeal_attachments": [{
            "appeal_number": attachment.appeal.number,
            "file_name": attachment.name,
            "size_bytes": attachment.size,
            "uploaded_at": attachment.created_at,
        } for attachment in attachments],
    }


def erase_user_data(user):
    appeals = Appeal.objects.filter(author=user)
    files = list(Attachment.objects.filter(appeal__in=appeals).exclude(file="").values_list("file", flat=True))
    appeals.delete()
    # The files go only once the rows are gone for good: a rolled-back erasure keeps both.
    transaction.on_commit(lambda: _delete_files(files))


def _delete_files(names):
    storage = Attachment._meta.get_field("file").storage
    for name in names:
        storage.delete(name)
