"""The outbox (issue 25): the row is the job. Its text is kept with it (sealed), the task
carries only its id, and the beat sweep publishes again what was not picked up, resolves what
is stuck «sending», and expires what is past its validity (portal.models.OutgoingMessage)."""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable

from portal import sealing, services, tasks
from portal.factories import OutgoingMessageFactory, TenantFactory
from portal.messaging import SmsError, read_outbox
from portal.models import OutgoingMessage
from portal.scoping import scopes_disabled, tenant_scope

pytestmark = pytest.mark.django_db

Status = OutgoingMessage.Status


@pytest.fixture
def tenant():
    return TenantFactory()


@pytest.fixture
def published(monkeypatch):
    """The ids handed to the broker (nothing runs)."""
    ids = []
    monkeypatch.setattr(tasks.deliver_message, "delay", lambda tenant_id, message_id: ids.append(message_id))
    return ids


def row(message):
    with scopes_disabled():
        return OutgoingMessage.objects.get(pk=message.pk)


def test_a_queued_message_keeps_its_text_sealed_and_the_task_carries_only_its_id(
        tenant, published, django_capture_on_commit_callbacks):
    with tenant_scope(tenant), django_capture_on_commit_callbacks(execute=True):
        services.message_send_sms(tenant=tenant, to="+79001234567", text="Код подтверждения: 424242",
                                  valid_until=timezone.now() + timedelta(minutes=5))
        message = OutgoingMessage.objects.get()
    assert published == [message.pk]
    assert "424242" not in message.payload  # encrypted at rest
    assert sealing.unseal(message.payload)["body"] == "Код подтверждения: 424242"
    assert message.has_code and message.expires_at < timezone.now() + timedelta(minutes=6)


def test_a_message_without_a_code_is_valid_for_the_default_lifetime(tenant, published, settings):
    with tenant_scope(tenant):
        services.message_send_email(tenant=tenant, to="a@example.com", subject="Квитанция", body="Оплачено")
        message = OutgoingMessage.objects.get()
    assert not message.has_code
    assert abs(message.expires_at - (message.created_at + settings.OUTBOX_MESSAGE_LIFETIME)) < timedelta(seconds=5)


def test_a_text_sealed_under_an_old_secret_key_is_read_while_that_key_is_a_fallback(settings):
    token = sealing.seal({"body": "x"})
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-key-" * 5, [settings.SECRET_KEY]
    assert sealing.unseal(token) == {"body": "x"}
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(sealing.InvalidToken):
        sealing.unseal(token)


def test_a_broker_down_at_commit_costs_the_request_nothing_and_the_sweep_publishes_later(
        tenant, monkeypatch, django_capture_on_commit_callbacks):
    def broker_down(**arguments):
        raise BrokerUnavailable("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.deliver_message, "delay", broker_down)
    with tenant_scope(tenant), django_capture_on_commit_callbacks(execute=True):
        services.message_send_sms(tenant=tenant, to="+79001234567", text="Квитанция")  # no exception
        message = OutgoingMessage.objects.get()
    assert message.status == Status.QUEUED
    monkeypatch.undo()
    # Not due yet: a sweep leaves it to the task that may still come.
    published = []
    monkeypatch.setattr(tasks.deliver_message, "delay", lambda tenant_id, message_id: published.append(message_id))
    assert services.messages_sweep()["published"] == 0
    later = timezone.now() + timedelta(seconds=61)
    assert services.messages_sweep(now=later)["published"] == 1
    assert published == [message.pk]
    # Its due time moved on: the next sweep does not publish it again at once.
    assert services.messages_sweep(now=later)["published"] == 0


def test_the_sweep_publishes_due_rows_in_batches(tenant, published, settings):
    settings.OUTBOX_SWEEP_BATCH = 3
    messages = OutgoingMessageFactory.create_batch(7, tenant=tenant, due_at=timezone.now() - timedelta(seconds=1))
    OutgoingMessageFactory(tenant=tenant)  # not due
    assert services.messages_sweep()["published"] == 7
    assert sorted(published) == sorted(message.pk for message in messages)


@pytest.mark.django_db(transaction=True)
def test_the_sweep_leaves_a_locked_row_to_the_sweep_that_holds_it(tenant, published):
    """Two beats: a row claimed (locked) by one sweep is skipped by the other, not waited for."""
    due = OutgoingMessageFactory(tenant=tenant, due_at=timezone.now() - timedelta(seconds=1))
    free = OutgoingMessageFactory(tenant=tenant, due_at=timezone.now() - timedelta(seconds=1))
    from django.db import connections

    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("SELECT id FROM portal_outgoingmessage WHERE id = %s FOR UPDATE", [due.pk])
            services.messages_sweep()
            cursor.execute("ROLLBACK")
    finally:
        other.close()
    assert published == [free.pk]


def test_an_expired_message_is_marked_expired_never_sent(tenant, published):
    code = OutgoingMessageFactory(tenant=tenant, text="Код: 1", has_code=True,
                                  expires_at=timezone.now() - timedelta(seconds=1),
                                  due_at=timezone.now() - timedelta(seconds=1))
    with tenant_scope(tenant):
        assert services.message_deliver(tenant=tenant, message_id=code.pk) is False
    assert (row(code).status, row(code).payload, row(code).error) == (Status.EXPIRED, "", services.EXPIRED_UNSENT)
    queued = OutgoingMessageFactory(tenant=tenant, expires_at=timezone.now() - timedelta(seconds=1))
    assert services.messages_sweep()["expired"] == 1
    assert row(queued).status == Status.EXPIRED and published == []
    assert read_outbox() == []


def test_a_message_stuck_sending_without_a_code_is_sent_again(tenant, published, settings):
    stuck = OutgoingMessageFactory(tenant=tenant, status=Status.SENDING, attempts=1,
                                   claimed_at=timezone.now() - settings.OUTBOX_SENDING_TIMEOUT - timedelta(seconds=1))
    recent = OutgoingMessageFactory(tenant=tenant, status=Status.SENDING, attempts=1, claimed_at=timezone.now())
    counts = services.messages_sweep()
    assert (counts["stuck_requeued"], counts["published"]) == (1, 1)
    assert published == [stuck.pk] and row(stuck).status == Status.QUEUED
    assert row(recent).status == Status.SENDING  # a send may still be under way
    with tenant_scope(tenant):
        assert services.message_deliver(tenant=tenant, message_id=stuck.pk) is True
    assert (row(stuck).status, row(stuck).attempts, row(stuck).payload) == (Status.SENT, 2, "")


def test_a_code_stuck_sending_is_not_sent_twice_but_shown_to_staff(tenant, published, settings):
    long_ago = timezone.now() - settings.OUTBOX_SENDING_TIMEOUT - timedelta(seconds=1)
    code = OutgoingMessageFactory(tenant=tenant, status=Status.SENDING, has_code=True, claimed_at=long_ago,
                                  expires_at=timezone.now() + timedelta(minutes=5))
    expired = OutgoingMessageFactory(tenant=tenant, status=Status.SENDING, has_code=True, claimed_at=long_ago,
                                     expires_at=timezone.now() - timedelta(minutes=1))
    legacy = OutgoingMessageFactory(tenant=tenant, status=Status.SENDING, text=None, claimed_at=None)
    OutgoingMessage._base_manager.filter(pk=legacy.pk).update(created_at=long_ago)
    services.messages_sweep()
    assert (row(code).status, row(code).error) == (Status.FAILED, services.STUCK_WITH_CODE)
    assert row(expired).status == Status.EXPIRED
    assert (row(legacy).status, row(legacy).error) == (Status.FAILED, services.TEXT_NOT_KEPT)
    assert published == []


def test_a_worker_too_slow_for_the_sweep_leaves_the_next_workers_claim_alone(tenant, monkeypatch):
    """While a slow worker sends, the sweep takes the row back and another worker claims it:
    the slow one's transient error puts nothing back in the queue (or the row would be sent a
    third time), and its success marks «sent» only a row nobody has claimed again."""
    message = OutgoingMessageFactory(tenant=tenant, text="Квитанция")
    next_claim = timezone.now() + timedelta(minutes=11)

    class SlowThenBroken:
        def send(self, **kwargs):
            OutgoingMessage._base_manager.filter(pk=message.pk).update(status=Status.SENDING, claimed_at=next_claim)
            raise SmsError("gateway timeout")

    monkeypatch.setattr(services, "get_sms_backend", SlowThenBroken)
    with tenant_scope(tenant), pytest.raises(services.DeliveryPostponed):
        services.message_deliver(tenant=tenant, message_id=message.pk)
    assert (row(message).status, row(message).claimed_at) == (Status.SENDING, next_claim)

    class SlowThenSent:
        def send(self, **kwargs):
            OutgoingMessage._base_manager.filter(pk=message.pk).update(status=Status.QUEUED)  # the sweep's

    OutgoingMessage._base_manager.filter(pk=message.pk).update(status=Status.QUEUED)
    monkeypatch.setattr(services, "get_sms_backend", SlowThenSent)
    with tenant_scope(tenant):
        assert services.message_deliver(tenant=tenant, message_id=message.pk) is True
    assert row(message).status == Status.SENT  # queued again, but not yet claimed: not sent twice


@pytest.mark.parametrize("error", [SmsError("gateway down"), OSError("smtp: connection reset"),
                                   OperationalError("server closed the connection")])
def test_a_transient_error_is_retried_with_backoff_up_to_a_ceiling(tenant, monkeypatch, error):
    class Broken:
        def send(self, **kwargs):
            raise error

    monkeypatch.setattr(services, "get_sms_backend", Broken)
    message = OutgoingMessageFactory(tenant=tenant, text="Квитанция")
    countdowns = []
    with tenant_scope(tenant):
        for attempt in range(1, services.MAX_DELIVERY_ATTEMPTS):
            with pytest.raises(services.DeliveryPostponed) as postponed:
                services.message_deliver(tenant=tenant, message_id=message.pk)
            countdowns.append(postponed.value.countdown)
            assert (row(message).status, row(message).attempts) == (Status.QUEUED, attempt)
        assert services.message_deliver(tenant=tenant, message_id=message.pk) is False  # the last try
    given_up = row(message)
    assert (given_up.status, given_up.attempts) == (Status.FAILED, services.MAX_DELIVERY_ATTEMPTS)
    assert type(error).__name__ in given_up.error and given_up.can_be_resent  # the text is kept
    assert countdowns[:4] == [10, 20, 40, 80] and max(countdowns) == services.MAX_COUNTDOWN


def test_the_task_retries_a_transient_error_within_the_countdown_cap(tenant, monkeypatch):
    class Broken:
        def send(self, **kwargs):
            raise SmsError("gateway down")

    monkeypatch.setattr(services, "get_sms_backend", Broken)
    message = OutgoingMessageFactory(tenant=tenant, text="Квитанция")
    retries = []
    monkeypatch.setattr(tasks.deliver_message, "retry",
                        lambda **kwargs: retries.append(kwargs) or RuntimeError("retried"))
    with tenant_scope(tenant), pytest.raises(RuntimeError):
        tasks.deliver_message.run(tenant=tenant, message_id=message.pk)
    assert retries[0]["countdown"] == 10 and isinstance(retries[0]["exc"], SmsError)


def test_an_error_that_is_not_transient_gives_up_at_once_with_the_reason(tenant, monkeypatch):
    class Broken:
        def send(self, **kwargs):
            raise ValueError("no such sender")

    monkeypatch.setattr(services, "get_sms_backend", Broken)
    message = OutgoingMessageFactory(tenant=tenant, text="Квитанция")
    with tenant_scope(tenant), pytest.raises(ValueError):
        services.message_deliver(tenant=tenant, message_id=message.pk)
    assert row(message).status == Status.FAILED and "no such sender" in row(message).error


def test_a_task_queued_before_the_text_was_kept_still_sends_its_text(tenant):
    legacy = OutgoingMessageFactory(tenant=tenant, text=None)
    tasks.deliver_message.apply(kwargs={"tenant_id": tenant.pk, "message_id": legacy.pk, "subject": "",
                                        "body": "Старая квитанция"}).get()
    assert row(legacy).status == Status.SENT
    assert [entry.text for entry in read_outbox()] == ["Старая квитанция"]


def test_a_row_queued_before_the_text_was_kept_is_given_up_with_the_reason_when_its_task_is_lost(tenant):
    legacy = OutgoingMessageFactory(tenant=tenant, text=None)
    tasks.deliver_message.apply(kwargs={"tenant_id": tenant.pk, "message_id": legacy.pk}).get()
    assert (row(legacy).status, row(legacy).error) == (Status.FAILED, services.TEXT_NOT_KEPT)
    assert not row(legacy).can_be_resent


def test_an_unreadable_text_is_given_up_with_the_reason(tenant, settings):
    message = OutgoingMessageFactory(tenant=tenant)
    settings.SECRET_KEY = "another-key-" * 5
    with tenant_scope(tenant):
        assert services.message_deliver(tenant=tenant, message_id=message.pk) is False
    assert (row(message).status, row(message).error) == (Status.FAILED, services.TEXT_UNREADABLE)


def test_a_failed_text_is_kept_only_while_it_is_valid(tenant):
    message = OutgoingMessageFactory(tenant=tenant, status=Status.FAILED, expires_at=timezone.now() + timedelta(hours=1))
    services.messages_sweep()
    assert row(message).payload
    services.messages_sweep(now=timezone.now() + timedelta(hours=2))
    assert row(message).payload == "" and not row(message).can_be_resent


def test_resend_queues_only_what_can_be_sent_again(tenant, published, django_capture_on_commit_callbacks):
    failed = OutgoingMessageFactory(tenant=tenant, status=Status.FAILED, attempts=18, error="попытка 18: SmsError")
    gone = OutgoingMessageFactory(tenant=tenant, status=Status.FAILED, text=None)
    old = OutgoingMessageFactory(tenant=tenant, status=Status.FAILED, expires_at=timezone.now() - timedelta(seconds=1))
    sent = OutgoingMessageFactory(tenant=tenant, status=Status.SENT)
    with tenant_scope(tenant), django_capture_on_commit_callbacks(execute=True):
        assert services.messages_resend(OutgoingMessage.objects.all()) == 1
    assert published == [failed.pk]
    assert (row(failed).status, row(failed).attempts, row(failed).error) == (Status.QUEUED, 0, "")
    assert [row(message).status for message in (gone, old, sent)] == [Status.FAILED, Status.FAILED, Status.SENT]
