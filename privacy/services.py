"""Deletion requests and the erasure they end in.

The erasure (``erase_user``) runs in one transaction, in the tenant's scope:
1. messages to the person's contacts, and messages of theirs to contacts they had before a
   change, forget the address: those sent at once, those still waiting once they are sent;
   the outbox's copies (a file transport's) are deleted once the erasure commits;
2. the person is told, in that transaction, at the contact about to be erased (a rolled-back
   erasure tells nothing); that message too forgets its address once it is sent;
3. every app's ``erase_user_data`` (privacy.registry), in INSTALLED_APPS order;
4. the user row is anonymised: names blank, e-mail and phone blank (the unique constraints
   on them skip blanks), the login replaced by a unique unusable value, the password
   unusable, inactive; the admin's log names the row by that value;
5. the user's sessions are deleted (``delete_user_sessions``).
"""

import logging
import uuid
from datetime import timedelta

from auditlog.context import disable_auditlog
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, TextField, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.messages import notify_user
from portal.messaging import outbox_delete_to
from portal.models import OutgoingMessage
from portal.retries import TRANSIENT_ERRORS
from portal.scoping import scopes_disabled

from .models import DeletionRequest
from .registry import erase_everywhere

logger = logging.getLogger(__name__)

ERASED_LOGIN_PREFIX = "deleted-"

# Rate limits, applied by the views (portal.ratelimits). An archive reads every app's tables
# for the user: a few a day are plenty.
EXPORTS_PER_HOUR, EXPORTS_PER_DAY = "3/h", "10/d"
# Wrong passwords on the deletion form, per user.
PASSWORD_FAILURES_PER_HOUR = "5/h"


class DeletionRefused(Exception):
    """A request that cannot be made or moved; the message is for the person or staff."""


# The person's side (they are told through accounts.messages.notify_user)


def deletion_request_create(*, user, reason=""):
    """File the user's request (DeletionRefused if one is open already) and tell them."""
    try:
        with transaction.atomic():
            deletion = DeletionRequest.objects.create(tenant=user.tenant, user=user, reason=reason.strip())
            notify_user(user=user, template="privacy/messages/requested", deletion=deletion)
    except IntegrityError:
        raise DeletionRefused(_("Запрос на удаление учётной записи уже подан.")) from None
    return deletion


def deletion_request_cancel(*, user):
    """Cancel the user's request while it waits for a decision; False if there is none."""
    with transaction.atomic():
        deletion = (DeletionRequest.objects.select_for_update()
                    .filter(user=user, status=DeletionRequest.Status.REQUESTED).first())
        if deletion is None:
            return False
        deletion.status = DeletionRequest.Status.CANCELED
        deletion.decided_at = timezone.now()
        deletion.save(update_fields=["status", "decided_at"])
    return True


# Staff's side


def _decide(deletion, status, staff):
    deletion = DeletionRequest.objects.select_for_update(of=("self",)).select_related("user").get(pk=deletion.pk)
    if not deletion.can_become(status):
        raise DeletionRefused(_("Запрос № %(number)s уже %(status)s.") % {
            "number": deletion.pk, "status": deletion.get_status_display()})
    deletion.status = status
    deletion.decided_at = timezone.now()
    deletion.decided_by = staff
    deletion.save(update_fields=["status", "decided_at", "decided_by"])
    return deletion


@transaction.atomic
def deletion_request_confirm(deletion, *, staff):
    """Confirm the request; the erasure runs in a task once this commits."""
    from . import tasks

    deletion = _decide(deletion, DeletionRequest.Status.CONFIRMED, staff)
    tenant_id, deletion_id = deletion.tenant_id, deletion.pk
    transaction.on_commit(lambda: tasks.carry_out_deletion.delay(tenant_id=tenant_id, deletion_id=deletion_id))
    return deletion


@transaction.atomic
def deletion_request_reject(deletion, *, staff):
    deletion = _decide(deletion, DeletionRequest.Status.REJECTED, staff)
    notify_user(user=deletion.user, template="privacy/messages/rejected", deletion=deletion)
    return deletion


# The erasure

# A confirmed request not carried out this long after its confirmation: its task was lost.
DELETION_REPUBLISH_AFTER = timedelta(minutes=2)


def deletions_resume(*, now=None):
    """Beat, every 5 minutes, across tenants: the request is the job, so a confirmed request
    whose erasure task was lost (the publish at commit failed, the broker lost it) is
    published again; a duplicate finds it completed and does nothing
    (``deletion_request_carry_out``). Returns the ids published."""
    from . import tasks

    now = now or timezone.now()
    with scopes_disabled():
        stale = list(DeletionRequest.objects.filter(status=DeletionRequest.Status.CONFIRMED,
                                                    decided_at__lte=now - DELETION_REPUBLISH_AFTER)
                     .values_list("pk", "tenant_id"))
    published = []
    for deletion_id, tenant_id in stale:
        try:
            tasks.carry_out_deletion.delay(tenant_id=tenant_id, deletion_id=deletion_id)
        except (*TRANSIENT_ERRORS, OSError) as error:
            logger.warning("Deletion %s not published again (%s); the next sweep tries.", deletion_id, error)
            break
        published.append(deletion_id)
    return published


@transaction.atomic
def deletion_request_carry_out(*, deletion_id):
    """Erase the user of a confirmed request and complete it; False if it is not confirmed
    (already carried out by a duplicate task, or never confirmed)."""
    deletion = (DeletionRequest.objects.select_for_update(of=("self",)).select_related("user__tenant")
                .filter(pk=deletion_id, status=DeletionRequest.Status.CONFIRMED).first())
    if deletion is None:
        return False
    # Not in the audit trail (audit app): each change would copy the erased value into it. An
    # eager task runs inside the confirming admin request, where the trail records.
    with disable_auditlog():
        user_erase(deletion.user, deletion=deletion)
        deletion.status = DeletionRequest.Status.COMPLETED
        deletion.completed_at = timezone.now()
        deletion.reason = ""  # the person's words may name them
        deletion.save(update_fields=["status", "completed_at", "reason"])
    return True


def user_erase(user, *, deletion=None):
    """Erase the user's personal data (the steps in this module's docstring). Runs in the
    caller's transaction."""
    user_messages_forget(user)
    notify_user(user=user, template="privacy/messages/erased", deletion=deletion, forget_recipient=True)
    erase_everywhere(user)
    _anonymise(user)
    user_sessions_delete(user.pk)


def user_messages_forget(user):
    """Messages to the person's contacts, and the person's messages to contacts they had
    before a change (OutgoingMessage.user), forget the address (and a kept text): at once
    where they have gone, once sent where they still wait (queued, or being sent right now). One statement,
    so that a message being sent meanwhile is found either still waiting or already sent
    (portal.services.message_deliver marks it sent in one statement too). The outbox's
    copies are deleted once the erasure commits: before the erasure's own notice is
    delivered, whose copy then only loses its recipient."""
    contacts = [contact for contact in (user.email, user.phone) if contact]
    theirs = OutgoingMessage.objects.filter(Q(to__in=contacts) | Q(user=user))
    addresses = set(contacts) | set(theirs.exclude(to="").values_list("to", flat=True).distinct())
    waiting = Q(status__in=[OutgoingMessage.Status.QUEUED, OutgoingMessage.Status.SENDING])
    theirs.update(forget_recipient=True, to=Case(When(waiting, then=F("to")), default=Value("")),
                  error=Case(When(waiting, then=F("error")), default=Value("")),
                  payload=Case(When(waiting, then=F("payload")), default=Value(""), output_field=TextField()))
    transaction.on_commit(lambda: outbox_delete_to(addresses))


def _anonymise(user):
    user.username = f"{ERASED_LOGIN_PREFIX}{uuid.uuid4().hex}"
    user.first_name = user.last_name = user.middle_name = ""
    user.email = user.phone = ""
    user.email_verified = user.phone_verified = False
    user.login_is_generated = False
    user.activation_deadline = None
    user.is_active = False
    user.set_unusable_password()
    user.save()
    LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(get_user_model()),
                            object_id=str(user.pk)).update(object_repr=user.username)


def user_sessions_delete(user_id):
    """Delete every live session of the user. Sessions are cached_db rows with no user
    column, so each live row is decoded and the user's are deleted through the session
    store (its cache entry and its row). A scan of the live sessions, run only by an
    erasure (a task, not a page); a session it misses is dead anyway, since the password
    hash it was signed with is gone."""
    from importlib import import_module

    from django.conf import settings

    store = import_module(settings.SESSION_ENGINE).SessionStore
    wanted = str(user_id)
    live = Session.objects.filter(expire_date__gt=timezone.now()).only("session_key", "session_data")
    for session in live.iterator(chunk_size=2000):
        if str(session.get_decoded().get("_auth_user_id")) == wanted:
            store(session_key=session.session_key).delete()
