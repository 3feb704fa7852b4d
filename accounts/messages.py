"""What accounts says to people by SMS and e-mail. The words live in templates, one place to
read and translate them: templates/accounts/messages/<name>.sms.txt for an SMS,
<name>.subject.txt and <name>.email.txt for an e-mail (another app's notices name their own
folder, e.g. "meters/messages/reading_by_other"); each gets the tenant and the values given
here."""

from django.template.loader import render_to_string

from portal.services import message_send_email, message_send_sms


def _render(name, tenant, context):
    """``name``: a template of accounts' own, or another app's with its folder ("meters/messages/…")."""
    path = name if "/" in name else f"accounts/messages/{name}"
    return render_to_string(path, {"tenant": tenant, **context}).strip()


def send_sms(*, tenant, to, template, user=None, forget_recipient=False, valid_until=None, **context):
    """``user``: whose message it is (portal.models.OutgoingMessage.user), where known;
    ``forget_recipient``: the message's address is blanked once it is sent; ``valid_until``:
    it carries a one-time code or link valid until then (confirmations.Issued.valid_until),
    so it is never sent after that, nor twice."""
    message_send_sms(tenant=tenant, to=to, text=_render(f"{template}.sms.txt", tenant, context),
                     user_id=user.pk if user else None, forget_recipient=forget_recipient, valid_until=valid_until)


def send_email(*, tenant, to, template, user=None, forget_recipient=False, valid_until=None, **context):
    message_send_email(tenant=tenant, to=to, subject=_render(f"{template}.subject.txt", tenant, context),
                       body=_render(f"{template}.email.txt", tenant, context), user_id=user.pk if user else None,
                       forget_recipient=forget_recipient, valid_until=valid_until)


def send(*, tenant, contact, template, user=None, valid_until=None, **context):
    """By the contact's own channel: SMS to a phone, e-mail to an address."""
    sender = send_sms if contact.is_phone else send_email
    sender(tenant=tenant, to=contact.value, template=template, user=user, valid_until=valid_until, **context)


def notify_user(*, user, template, forget_recipient=False, **context):
    """A notice to the user's e-mail, or by SMS when there is no e-mail (every app's notices
    to a person go this way: security notices, payments' receipts, privacy's decisions)."""
    send = {"tenant": user.tenant, "template": template, "user": user, "forget_recipient": forget_recipient}
    if user.email:
        send_email(to=user.email, **send, **context)
    elif user.phone:
        send_sms(to=user.phone, **send, **context)
