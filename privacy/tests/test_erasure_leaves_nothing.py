"""After a confirmed erasure nothing in the database holds the person's contacts or name:
not the contacts they had before a profile change, not another user's pending change that
named them, and the staff's decision stays on the audit trail (attacks from the review of
issue 13, kept as tests). Nor the notice that tells them of the erasure, once it is sent,
nor a message still queued for them when the erasure ran, nor the outbox's files (issue 22,
part 3)."""

from django.conf import settings
from django.db import connection

from accounts.factories import PASSWORD
from accounts.models import User
from audit.models import AuditEntry
from portal.messaging import read_outbox
from portal.models import OutgoingMessage
from portal.scoping import tenant_scope
from portal.services import message_send_email, message_send_sms

from .test_deletion import decide, requests_of, signed_in, staff_of

NEW_PHONE = "+79001119999"
NEW_EMAIL = "consumer.new@example.com"


def columns_holding(needles):
    """{needle: [(table, column), ...]} for every text or JSON column of the database that
    holds the needle anywhere (a scan of the whole schema: what a forgotten table keeps)."""
    found = {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name, column_name FROM information_schema.columns "
                       "WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'json', 'jsonb')")
        columns = cursor.fetchall()
        for needle in needles:
            for table, column in columns:
                cursor.execute(f'SELECT count(*) FROM "{table}" WHERE "{column}"::text ILIKE %s', [f"%{needle}%"])
                if cursor.fetchone()[0]:
                    found.setdefault(needle, []).append((table, column))
    return found


def outbox_holding(needles):
    """{needle: how many places hold it} in the outbox: its files' bytes, and what the files
    read as (an encoded header or body)."""
    folder = settings.OUTBOX_DIR
    texts = [path.read_bytes().decode("utf-8", "replace") for path in folder.iterdir()] if folder.is_dir() else []
    texts += [f"{entry.to} {entry.subject} {entry.text}" for entry in read_outbox(limit=10**6)]
    counts = {needle: sum(needle.lower() in text.lower() for text in texts) for needle in needles}
    return {needle: count for needle, count in counts.items() if count}


def erase(tenant_client, admin_login, tenant, person):
    signed_in(tenant_client, person, tenant).post("/privacy/delete/", {"password": PASSWORD})
    staff = tenant_client(tenant)
    admin_login(staff, staff_of(tenant))
    decide(staff, requests_of(person.user)[0], "confirm_deletion")
    assert requests_of(person.user)[0].status == "completed"


def test_erasure_forgets_the_contacts_replaced_in_the_profile(world, tenant_client, admin_login, outbox):
    alpha, consumer = world["alpha"], world["consumer"]
    user = consumer.user
    old_email, old_phone, surname = user.email, user.phone, user.last_name
    browser = signed_in(tenant_client, consumer, alpha)
    browser.post("/accounts/profile/phone/", {"phone": NEW_PHONE, "current_password": PASSWORD})
    browser.post("/accounts/profile/phone/confirm/", {"code": outbox.last_code(NEW_PHONE)})
    browser.post("/accounts/profile/email/", {"email": NEW_EMAIL, "current_password": PASSWORD})
    browser.post(outbox.last_link(NEW_EMAIL, path="/accounts/profile/email/"))
    with tenant_scope(alpha):
        assert User.objects.filter(pk=user.pk, email=NEW_EMAIL, phone=NEW_PHONE).exists()

    erase(tenant_client, admin_login, alpha, consumer)

    # Not even the address of the «your data is erased» notice itself, once it was sent.
    assert columns_holding([old_email, old_phone, NEW_EMAIL, NEW_PHONE, surname]) == {}
    with tenant_scope(alpha):
        notice = OutgoingMessage.objects.filter(user=user).latest("pk")
    assert (notice.status, notice.to) == ("sent", "")


def test_erasure_forgets_the_person_in_another_users_pending_change(world, tenant_client, admin_login, outbox):
    """A family member typed the person's phone and e-mail into their own profile (the
    «taken» path): their pending changes name the person's contacts."""
    alpha, consumer, family = world["alpha"], world["consumer"], world["family"]
    email, phone = consumer.user.email, consumer.user.phone
    other = signed_in(tenant_client, family, alpha)
    other.post("/accounts/profile/phone/", {"phone": phone, "current_password": PASSWORD})
    other.post("/accounts/profile/email/", {"email": email, "current_password": PASSWORD})

    erase(tenant_client, admin_login, alpha, consumer)

    assert columns_holding([phone]) == {}


def test_the_staff_decision_survives_the_erasure_it_caused(world, tenant_client, admin_login):
    alpha, consumer = world["alpha"], world["consumer"]
    erase(tenant_client, admin_login, alpha, consumer)
    with tenant_scope(alpha):
        changes = [entry.changes for entry in AuditEntry.objects.filter(content_type__model="deletionrequest")]
    assert any(change.get("status", [None, None])[1] == "confirmed" for change in changes), changes
    assert all("<erased>" not in change.get("decided_by", []) for change in changes), changes


def test_the_outbox_keeps_nothing_addressed_to_the_person(world, tenant_client, admin_login, outbox,
                                                          django_capture_on_commit_callbacks):
    """The file transports (development, and SMS in docker-compose unless a gateway is set)
    write every message to the outbox: the codes and notices sent to the person stay there
    with their contacts, unless the erasure deletes them. The erasure's notice is written
    too, and then loses its recipient."""
    alpha, consumer = world["alpha"], world["consumer"]
    user = consumer.user
    email, phone = user.email, user.phone
    with tenant_scope(alpha), django_capture_on_commit_callbacks(execute=True):
        message_send_email(tenant=alpha, to=email, subject="Код", body="Код подтверждения: 4711", user_id=user.pk)
        message_send_sms(tenant=alpha, to=phone, text="Код подтверждения: 4712", user_id=user.pk)
    signed_in(tenant_client, consumer, alpha).post("/privacy/delete/", {"password": PASSWORD})  # tells them
    assert set(outbox_holding([email, phone])) == {email, phone}  # what the erasure must not leave
    others = [entry for entry in outbox.messages() if entry.to not in (email, phone)]

    erase(tenant_client, admin_login, alpha, consumer)

    assert outbox_holding([email, phone]) == {}
    [notice] = [entry for entry in outbox.messages() if entry.to not in (email, phone) and entry not in others]
    assert notice.to == "" and "учётная запись удалена" in notice.subject
    assert [entry for entry in outbox.messages() if entry != notice] == others  # nobody else's are touched


def test_a_message_still_queued_at_the_erasure_forgets_its_recipient_when_sent(
        world, tenant_client, admin_login, django_capture_on_commit_callbacks):
    """A reminder queued for the person just before the erasure, delivered by the worker just
    after it: its row would keep the address the erasure blanked everywhere else."""
    alpha, consumer = world["alpha"], world["consumer"]
    user = consumer.user
    phone = user.phone
    with tenant_scope(alpha), django_capture_on_commit_callbacks() as delivery:  # left for the worker
        message_send_sms(tenant=alpha, to=phone, text="Передайте показания", user_id=user.pk)
    with tenant_scope(alpha):
        assert OutgoingMessage.objects.get(to=phone).status == "queued"

    erase(tenant_client, admin_login, alpha, consumer)
    with tenant_scope(alpha):
        waiting = OutgoingMessage.objects.get(to=phone)  # the address is what the worker sends to
    assert (waiting.status, waiting.forget_recipient) == ("queued", True)
    [deliver] = delivery
    deliver()  # the worker's turn

    with tenant_scope(alpha):
        waiting.refresh_from_db()
    assert (waiting.status, waiting.to) == ("sent", "")
    assert columns_holding([phone]) == {} and outbox_holding([phone]) == {}
    [sent] = [entry for entry in read_outbox() if entry.message_id == str(waiting.pk)]
    assert (sent.to, sent.text) == ("", "Передайте показания")
