"""The deletion request: asked with the password (limited), one open at a time, cancelled
while open; confirmed by the tenant's staff in the admin, after which the person is told and
erased (no personal data left, payments kept without the payer, links, sessions and appeals
gone, consents withdrawn). Another tenant's staff neither see nor decide it.

After a confirmed erasure nothing in the database holds the person's contacts or name: not
the contacts they had before a profile change, not another user's pending change that named
them, and the staff's decision stays on the audit trail (attacks from the review of issue 13).
Nor the notice that tells them of the erasure, once it is sent, nor a message still queued
for them when the erasure ran, nor the outbox's files (issue 22, part 3)."""

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.sessions.models import Session
from django.db import connection

from accounts.factories import PASSWORD, UserFactory
from accounts.models import Confirmation, ConsentAcceptance, User
from appeals.models import Appeal, Message
from audit.models import AuditEntry
from billing.models import AccountLink, PinRequest
from meters.models import Reading
from payments.models import Payment
from portal.messaging import read_outbox
from portal.models import OutgoingMessage
from portal.scoping import scopes_disabled, tenant_scope
from portal.services import message_send_email, message_send_sms
from privacy import services
from privacy.factories import privacy_staff
from privacy.models import DeletionRequest

URL = "/privacy/delete/"
CHANGELIST = "/admin/privacy/deletionrequest/"


def signed_in(tenant_client, person, tenant):
    client = tenant_client(tenant)
    client.force_login(person.user)
    return client


def requests_of(user):
    with scopes_disabled():
        return list(DeletionRequest.objects.filter(user=user).order_by("pk"))


def decide(client, deletion, action):
    return client.post(CHANGELIST, {"action": action, "_selected_action": [deletion.pk], "index": 0})


@pytest.fixture
def staff_client(world, tenant_client, admin_login):
    client = tenant_client(world["alpha"])
    admin_login(client, privacy_staff(world["alpha"]))
    return client


def test_a_wrong_password_files_nothing(world, tenant_client):
    client = signed_in(tenant_client, world["consumer"], world["alpha"])
    page = client.post(URL, {"password": "wrong", "reason": ""})
    assert page.status_code == 200
    assert "Пароль введён неверно." in page.content.decode()
    assert requests_of(world["consumer"].user) == []


def test_wrong_passwords_are_limited(world, tenant_client):
    client = signed_in(tenant_client, world["consumer"], world["alpha"])
    for _attempt in range(5):
        client.post(URL, {"password": "wrong"})
    refused = client.post(URL, {"password": PASSWORD})
    assert "Слишком много неверных паролей" in refused.content.decode()
    assert requests_of(world["consumer"].user) == []


def test_a_request_is_filed_once_told_and_can_be_cancelled(world, tenant_client, outbox):
    consumer = world["consumer"]
    client = signed_in(tenant_client, consumer, world["alpha"])
    assert "Отправить запрос на удаление" in client.get(URL).content.decode()
    response = client.post(URL, {"password": PASSWORD, "reason": "Переезжаю"})
    assert response.status_code == 302
    [deletion] = requests_of(consumer.user)
    assert (deletion.status, deletion.reason) == ("requested", "Переезжаю")
    assert "удаление вашей учётной записи" in outbox.messages(consumer.user.email)[0].text
    page = client.get(URL).content.decode()
    assert "ожидает решения" in page and "Отменить запрос" in page
    client.post(URL, {"password": PASSWORD})  # a second tab: nothing more is filed
    assert len(requests_of(consumer.user)) == 1
    with tenant_scope(world["alpha"]), pytest.raises(services.DeletionRefused):
        services.deletion_request_create(user=consumer.user)

    client.post("/privacy/delete/cancel/")
    [deletion] = requests_of(consumer.user)
    assert deletion.status == "canceled"
    assert "Отправить запрос на удаление" in client.get(URL).content.decode()


def test_another_user_cannot_cancel_the_request(world, tenant_client):
    consumer, family = world["consumer"], world["family"]
    signed_in(tenant_client, consumer, world["alpha"]).post(URL, {"password": PASSWORD})
    signed_in(tenant_client, family, world["alpha"]).post("/privacy/delete/cancel/")
    assert [deletion.status for deletion in requests_of(consumer.user)] == ["requested"]


def test_staff_reject_and_the_person_is_told(world, tenant_client, staff_client, outbox):
    consumer = world["consumer"]
    signed_in(tenant_client, consumer, world["alpha"]).post(URL, {"password": PASSWORD})
    [deletion] = requests_of(consumer.user)
    page = staff_client.get(f"{CHANGELIST}{deletion.pk}/change/")
    assert page.status_code == 200 and consumer.user.email in page.content.decode()
    assert consumer.user.username in staff_client.get(CHANGELIST).content.decode()
    decide(staff_client, deletion, "reject_deletion")
    [deletion] = requests_of(consumer.user)
    assert deletion.status == "rejected" and deletion.decided_by.username == "staff@alpha"
    assert "отклонён" in outbox.messages(consumer.user.email)[0].text
    decide(staff_client, deletion, "confirm_deletion")  # a decided request stays decided
    assert requests_of(consumer.user)[0].status == "rejected"


def test_confirming_erases_the_person(world, tenant_client, staff_client, outbox):
    alpha, consumer = world["alpha"], world["consumer"]
    user = consumer.user
    email, phone = user.email, user.phone
    browser = signed_in(tenant_client, consumer, alpha)
    browser.post(URL, {"password": PASSWORD})
    session_key = browser.session.session_key
    with tenant_scope(alpha):
        Confirmation.objects.create(tenant=alpha, user=user, purpose="password_reset", channel="email",
                                    destination=email)
    [deletion] = requests_of(user)

    decide(staff_client, deletion, "confirm_deletion")

    [deletion] = requests_of(user)
    assert deletion.status == "completed" and deletion.completed_at and deletion.reason == ""
    with tenant_scope(alpha):
        user = User.objects.get(pk=user.pk)
        assert user.username.startswith("deleted-")
        assert (user.first_name, user.last_name, user.middle_name, user.email, user.phone) == ("", "", "", "", "")
        assert not user.is_active and not user.has_usable_password()
        assert not AccountLink.objects.filter(user=user).exists()
        assert not PinRequest.objects.filter(user=user).exists()
        assert not Confirmation.objects.filter(user=user).exists()
        # Payments and readings stay, without the person.
        payment = Payment.objects.get(pk=consumer.payment.pk)
        assert payment.user_id is None and payment.status == "succeeded"
        assert Reading.objects.get(pk=consumer.reading.pk).submitted_by_id is None
        # Consents: withdrawn, without where they were given from.
        consents = list(ConsentAcceptance.objects.filter(user=user))
        assert consents and all(c.withdrawn_at and c.ip_address is None and c.user_agent == "" for c in consents)
        assert not Appeal.objects.filter(pk=consumer.appeal.pk).exists()
        assert not Message.objects.filter(text="Текст от consumer").exists()
        # Nothing names the person any more, not even the notice telling them, once it was sent.
        assert not OutgoingMessage.objects.filter(to__in=[email, phone]).exists()
        notice = OutgoingMessage.objects.filter(user=user).latest("pk")
        assert (notice.channel, notice.status, notice.to, notice.forget_recipient) == ("email", "sent", "", True)
        # The family member's data and link to the same account are untouched.
        assert AccountLink.objects.filter(user=world["family"].user, account=consumer.account).exists()
    assert not Session.objects.filter(session_key=session_key).exists()
    assert browser.get("/privacy/data/").status_code == 302  # signed out
    # The notice was written to the outbox, which then forgot whom to (and everything else sent there).
    assert outbox.messages(email) == [] and outbox.messages(phone) == []
    [told] = [entry for entry in outbox.messages() if entry.message_id == str(notice.pk)]
    assert "учётная запись удалена" in told.subject and "удалена" in told.text and told.to == ""
    # The erased person's archive would be empty of them: nothing of theirs is left to find.
    with tenant_scope(alpha):
        assert not User.objects.filter(email=email).exists() and not User.objects.filter(phone=phone).exists()


def test_an_erased_login_can_register_again(world, tenant_client, staff_client):
    """The contacts are free again (the unique constraints skip the blanks left behind)."""
    alpha, consumer = world["alpha"], world["consumer"]
    signed_in(tenant_client, consumer, alpha).post(URL, {"password": PASSWORD})
    decide(staff_client, requests_of(consumer.user)[0], "confirm_deletion")
    with tenant_scope(alpha):
        UserFactory(tenant=alpha, email="consumer@example.com", username="consumer@example.com",
                    phone="+79001110001")


def test_the_erasure_runs_once(world, tenant_client):
    alpha, consumer = world["alpha"], world["consumer"]
    signed_in(tenant_client, consumer, alpha).post(URL, {"password": PASSWORD})
    with tenant_scope(alpha):
        deletion = DeletionRequest.objects.get(user=consumer.user)
        assert not services.deletion_request_carry_out(deletion_id=deletion.pk)  # not confirmed: nothing happens
        assert User.objects.get(pk=consumer.user.pk).is_active


def test_another_tenants_staff_neither_see_nor_decide_it(world, tenant_client, admin_login):
    consumer = world["consumer"]
    signed_in(tenant_client, consumer, world["alpha"]).post(URL, {"password": PASSWORD})
    [deletion] = requests_of(consumer.user)
    client = tenant_client(world["beta"])
    admin_login(client, privacy_staff(world["beta"]))
    changelist = client.get(CHANGELIST)
    assert changelist.status_code == 200 and list(changelist.context["cl"].queryset) == []
    assert client.get(f"{CHANGELIST}{deletion.pk}/change/").status_code in (302, 404)
    decide(client, deletion, "confirm_deletion")
    assert requests_of(consumer.user)[0].status == "requested"
    with scopes_disabled():
        assert User.objects.get(pk=consumer.user.pk).is_active


def test_staff_without_the_change_permission_cannot_decide(world, tenant_client, admin_login):
    consumer = world["consumer"]
    signed_in(tenant_client, consumer, world["alpha"]).post(URL, {"password": PASSWORD})
    [deletion] = requests_of(consumer.user)
    viewer = privacy_staff(world["alpha"], "viewer")
    viewer.user_permissions.set(Permission.objects.filter(codename="view_deletionrequest"))
    client = tenant_client(world["alpha"])
    admin_login(client, viewer)
    decide(client, deletion, "confirm_deletion")
    assert requests_of(consumer.user)[0].status == "requested"


def test_a_failing_app_erases_nothing_and_tells_nobody(world, tenant_client, monkeypatch,
                                                       django_capture_on_commit_callbacks):
    """One transaction: an app whose erasure fails leaves every app's data, the user and the
    outbox as they were, and the request confirmed for another try."""
    alpha, consumer = world["alpha"], world["consumer"]
    signed_in(tenant_client, consumer, alpha).post(URL, {"password": PASSWORD})

    def broken(user):
        raise RuntimeError("appeals is down")

    monkeypatch.setattr("appeals.privacy.erase_user_data", broken)
    with tenant_scope(alpha):
        deletion = DeletionRequest.objects.get(user=consumer.user)
        DeletionRequest.objects.filter(pk=deletion.pk).update(status="confirmed")
        messages_before = OutgoingMessage.objects.count()
        with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError):
            services.deletion_request_carry_out(deletion_id=deletion.pk)
        assert callbacks == []
        assert OutgoingMessage.objects.count() == messages_before
        assert AccountLink.objects.filter(user=consumer.user).exists()
        assert User.objects.get(pk=consumer.user.pk).email == "consumer@example.com"
        assert DeletionRequest.objects.get(pk=deletion.pk).status == "confirmed"


def test_the_erasure_writes_nothing_of_the_person_to_the_audit_trail(world, tenant_client):
    """In the admin's recording window (an eager task runs there, on the confirming request's
    commit) the erasure records nothing: its changes would copy the erased values into the
    trail. The decision itself is recorded (the request's status, who, when)."""
    from audit.models import AuditEntry
    from audit.recording import recording_admin_changes

    alpha, consumer = world["alpha"], world["consumer"]
    signed_in(tenant_client, consumer, alpha).post(URL, {"password": PASSWORD})
    with tenant_scope(alpha):
        deletion = DeletionRequest.objects.get(user=consumer.user)
        DeletionRequest.objects.filter(pk=deletion.pk).update(status="confirmed")
        before = AuditEntry.objects.count()
        with recording_admin_changes():
            assert services.deletion_request_carry_out(deletion_id=deletion.pk)
        assert AuditEntry.objects.count() == before


# --- What the erasure leaves: nothing of the person ----------------------------------------


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
    admin_login(staff, privacy_staff(tenant))
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


def test_a_confirmed_request_whose_task_was_lost_is_carried_out_by_the_sweep(world, tenant_client, monkeypatch):
    """The request is the job (issue 25): a confirmation whose erasure task never ran (the
    broker down at commit, or it lost the task) is published again two minutes on."""
    from datetime import timedelta

    from django.utils import timezone

    from privacy import tasks

    alpha, consumer = world["alpha"], world["consumer"]
    signed_in(tenant_client, consumer, alpha).post(URL, {"password": PASSWORD})
    published = []
    monkeypatch.setattr(tasks.carry_out_deletion, "delay", lambda **kwargs: published.append(kwargs))
    with tenant_scope(alpha):
        deletion = DeletionRequest.objects.get(user=consumer.user)
        DeletionRequest.objects.filter(pk=deletion.pk).update(status="confirmed", decided_at=timezone.now())
    assert services.deletions_resume() == []  # its task may still come
    assert services.deletions_resume(now=timezone.now() + timedelta(minutes=3)) == [deletion.pk]
    assert published == [{"tenant_id": alpha.pk, "deletion_id": deletion.pk}]
    with tenant_scope(alpha):
        assert services.deletion_request_carry_out(deletion_id=deletion.pk)
        assert services.deletion_request_carry_out(deletion_id=deletion.pk) is False  # a duplicate does nothing
    assert services.deletions_resume(now=timezone.now() + timedelta(minutes=3)) == []
