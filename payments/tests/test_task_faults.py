"""Payments' tasks when something they depend on fails, on real PostgreSQL (issue 25, item 2):
the database session ended while a notification is applied (what a PostgreSQL restart does to
every session), the broker or a provider failing, one payment that fails in the sweep."""

import logging
from datetime import timedelta
from types import SimpleNamespace

import psycopg
import pytest
import redis
from celery.exceptions import Retry
from cryptography.fernet import Fernet
from django.db import InterfaceError, OperationalError, connection, connections
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable

from billing.factories import SupplierFactory
from meters.factories import make_account
from payments import tasks
from payments.providers.sandbox import remote as sandbox
from payments.factories import make_shop, notify, pay_through, payment_of
from payments.models import Payment, PaymentEvent, SandboxPayment
from payments.providers import ProviderUnavailable
from portal.models import OutgoingMessage
from portal.retries import MAX_COUNTDOWN
from portal.scoping import scopes_disabled


pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="sessions of PostgreSQL")


def end_session(pid):
    """End database session ``pid`` as a PostgreSQL restart (or failover) ends them all, and
    wait until it has ended."""
    db = connection.settings_dict
    with psycopg.connect(dbname=db["NAME"], user=db["USER"] or None, password=db["PASSWORD"] or None,
                         host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s, 10000)", [pid]).fetchone()[0]


def end_own_session():
    connection.ensure_connection()
    end_session(connection.connection.info.backend_pid)


def session_ends_after_the_provider_answers(monkeypatch):
    """The next status the sandbox reports is read, then the portal's database session ends:
    applying it meets the closed connection."""
    fetch = sandbox.fetch

    def fetch_then_lose_the_database(**arguments):
        monkeypatch.setattr(sandbox, "fetch", fetch)
        payment = fetch(**arguments)
        end_own_session()
        return payment

    monkeypatch.setattr(sandbox, "fetch", fetch_then_lose_the_database)


def paid_unknown(client, account, monkeypatch):
    """A payment paid at the provider that the portal has not heard of (its notification lost)."""
    monkeypatch.setattr(sandbox, "_schedule_notifications", lambda payment, event: None)
    payment = pay_through(client, account)
    assert payment.status == "pending"
    return payment


def time_passes(minutes=11):
    """The payments were sent to their provider and last asked about ``minutes`` ago."""
    with scopes_disabled():
        Payment.objects.update(pending_at=timezone.now() - timedelta(minutes=minutes),
                               checked_at=timezone.now() - timedelta(minutes=minutes))


def receipts_of(user):
    with scopes_disabled():
        return list(OutgoingMessage.objects.filter(to=user.email))


def retried(arguments, **options):
    """The Retry that apply_payment_event raised (Celery eager: raised, not queued)."""
    with pytest.raises(Retry) as retry:
        tasks.apply_payment_event.apply(kwargs=arguments, **options)
    return retry.value


@pytest.fixture
def stored_notification(payer, monkeypatch):
    """A payment paid at the provider and its notification stored by the notify view; the
    task the view queued is not run: (user, payment, arguments of apply_payment_event)."""
    user, client, account, shop = payer
    payment = paid_unknown(client, account, monkeypatch)
    queued = []
    monkeypatch.setattr("payments.views.tasks", SimpleNamespace(
        apply_payment_event=SimpleNamespace(delay=lambda **kwargs: queued.append(kwargs))))
    with scopes_disabled():
        provider_payment = SandboxPayment.objects.get()
    assert notify(client, shop, sandbox.notification_body(provider_payment, "payment.succeeded")).status_code == 200
    [arguments] = queued
    return user, payment, arguments


@pytest.mark.django_db(transaction=True)
def test_a_notification_whose_application_lost_the_database_is_retried_and_else_applied_by_the_sweep(
        stored_notification, monkeypatch, outbox):
    """The database session ends while the notification is applied: the task is retried (in
    5 s), not dropped. Were that retry lost too (the broker restarted without its data), the
    payment stays pending, nothing half-done, until the sweep asks about it."""
    user, payment, arguments = stored_notification
    session_ends_after_the_provider_answers(monkeypatch)
    retry = retried(arguments)
    assert isinstance(retry.exc, OperationalError) and retry.when == 5
    assert payment_of(payment.public_id).status == "pending"
    assert receipts_of(user) == []
    with scopes_disabled():
        assert PaymentEvent.objects.get().processed_at is None

    assert tasks.refresh_stale_payments() == {"asked": 0, "failed": 0}  # asked just now: not stale yet
    time_passes()
    assert tasks.refresh_stale_payments() == {"asked": 1, "failed": 0}
    assert payment_of(payment.public_id).status == "succeeded"
    [receipt] = receipts_of(user)
    assert receipt.status == OutgoingMessage.Status.SENT
    assert len(outbox.messages(user.email)) == 1


@pytest.mark.django_db(transaction=True)
def test_a_task_that_finds_the_database_gone_before_its_body_is_retried(stored_notification, outbox):
    """The session ends before the task begins: loading its tenant fails, and that is retried
    as the body's own errors are (TenantTask), not lost."""
    user, payment, arguments = stored_notification
    end_own_session()
    retry = retried(arguments)
    assert isinstance(retry.exc, OperationalError) and retry.when == 5
    connection.close()  # what Celery does after each task: the next one opens a new connection
    result = tasks.apply_payment_event.apply(kwargs=arguments, retries=1)
    assert result.state == "SUCCESS"
    assert payment_of(payment.public_id).status == "succeeded"
    assert len(outbox.messages(user.email)) == 1


def failing_with(error):
    def event_apply(event):
        raise error

    return event_apply


@pytest.mark.django_db
@pytest.mark.parametrize("error", [
    OperationalError("the database system is shutting down"),
    InterfaceError("connection already closed"),
    BrokerUnavailable("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
    redis.exceptions.ConnectionError("Connection reset by peer"),
    ProviderUnavailable("timed out"),
], ids=lambda error: type(error).__name__)
def test_transient_errors_are_retried_with_backoff_up_to_a_ceiling(stored_notification, monkeypatch, error):
    _user, payment, arguments = stored_notification
    monkeypatch.setattr("payments.services.event_apply", failing_with(error))
    waits = []
    for retries in range(tasks.apply_payment_event.max_retries):
        retry = retried(arguments, retries=retries)
        assert retry.exc is error
        waits.append(retry.when)
    assert waits == [5, 10, 20, 40, 80] + [MAX_COUNTDOWN] * 5
    with pytest.raises(type(error)):  # the ceiling: failed (and logged by Celery), the sweep's now
        tasks.apply_payment_event.apply(kwargs=arguments, retries=tasks.apply_payment_event.max_retries)
    assert payment_of(payment.public_id).status == "pending"


@pytest.mark.django_db
def test_an_error_that_is_not_transient_is_not_retried(stored_notification, monkeypatch):
    _user, _payment, arguments = stored_notification
    monkeypatch.setattr("payments.services.event_apply", failing_with(ValueError("a bug")))
    with pytest.raises(ValueError):
        tasks.apply_payment_event.apply(kwargs=arguments)


def unreadable_payment(tenant):
    """A pending YooKassa payment of another supplier whose shop's secret was encrypted under
    a key no longer configured (a rotation gone wrong): asking about it fails, and not with a
    ProviderError."""
    supplier = SupplierFactory(tenant=tenant, code="power", name="Энергосбыт")
    account = make_account(supplier, "40000001")
    shop = make_shop(supplier, kind="yookassa", shop_id="shop-power")
    shop.secret_encrypted = Fernet(Fernet.generate_key()).encrypt(b"old-secret").decode()
    with scopes_disabled():
        shop.save()
        return Payment.objects.create(
            tenant=tenant, account=account, amount="100.00", status=Payment.Status.PENDING, provider_account=shop,
            provider="yookassa", provider_payment_id="2d8ab3b4-000f-5000-9000-1b68e7b15f3f",
            pending_at=timezone.now() - timedelta(hours=1),
        )


@pytest.mark.django_db
def test_one_payment_that_fails_does_not_stop_the_sweep(payer, monkeypatch, caplog):
    user, client, account, _shop = payer
    paid = [paid_unknown(client, account, monkeypatch) for _ in range(3)]
    time_passes()
    bad = unreadable_payment(account.tenant)  # the oldest: asked first
    with caplog.at_level(logging.INFO, logger="payments"):
        assert tasks.refresh_stale_payments() == {"asked": 4, "failed": 1}
    assert [payment_of(payment.public_id).status for payment in paid] == ["succeeded"] * 3
    with scopes_disabled():
        assert Payment.objects.get(pk=bad.pk).status == "pending"
    failure = next(record for record in caplog.records if f"Payment {bad.pk}:" in record.getMessage())
    assert failure.levelname == "ERROR" and failure.exc_info[0].__name__ == "SecretUnreadable"
    assert any("asked about 4 stale payments, 1 failed" in record.getMessage() for record in caplog.records)


@pytest.mark.django_db(transaction=True)
def test_a_payment_whose_database_session_ends_in_the_sweep_does_not_stop_it(payer, monkeypatch, outbox):
    """The session ends while the sweep applies the first payment: that one is rolled back and
    counted, its broken connection dropped, and the next payments are asked on a new one; the
    next run asks about the first again."""
    user, client, account, _shop = payer
    paid = [paid_unknown(client, account, monkeypatch) for _ in range(3)]
    time_passes()
    with scopes_disabled():
        Payment.objects.filter(pk=paid[0].pk).update(pending_at=timezone.now() - timedelta(hours=1))
    session_ends_after_the_provider_answers(monkeypatch)
    assert tasks.refresh_stale_payments() == {"asked": 3, "failed": 1}
    assert [payment_of(payment.public_id).status for payment in paid] == ["pending", "succeeded", "succeeded"]
    assert tasks.refresh_stale_payments() == {"asked": 1, "failed": 0}  # not marked asked: it failed
    assert payment_of(paid[0].public_id).status == "succeeded"
    assert len(outbox.messages(user.email)) == 3


@pytest.fixture(autouse=True)
def _connections_closed_after():
    yield
    connections.close_all()  # a session a test ended is not handed to the next one
