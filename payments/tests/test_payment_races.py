"""Races on payments, on real PostgreSQL: a double click and two tabs sent at the same moment,
a notification delivered many times at once while the return page asks too, and a Celery
worker killed half-way through applying a notification (a real worker process on Redis)."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import psycopg
import pytest
import redis
from celery import Celery
from django.conf import settings as django_settings
from django.db import connection, connections
from django.test import Client

from payments import services
from payments.providers.sandbox import remote as sandbox
from payments.factories import notify, pay_through, payment_of, start, to_sandbox
from payments.models import Payment, PaymentEvent, SandboxPayment
from portal.models import OutgoingMessage
from portal.scoping import scopes_disabled, tenant_scope

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks of PostgreSQL")

# How many requests (or calls) race each other.
RACERS = 8


def client_on(tenant, user=None):
    """A plain test client on the tenant's host (no on-commit capturing: the tests below
    commit for real), logged in as ``user`` if given."""
    client = Client(HTTP_HOST=f"{tenant.slug}.localhost")
    if user is not None:
        client.force_login(user)
    return client


def together(jobs, *, seconds=90):
    """Run each job in its own thread and release them all at the same moment; their results,
    in order. A job prepares what it needs (its own connection, its own objects) and returns
    the call to make at that moment."""
    barrier = threading.Barrier(len(jobs))
    results, errors = [None] * len(jobs), []

    def run(index, job):
        try:
            go = job()
            barrier.wait(timeout=30)
            results[index] = go()
        except BaseException as error:  # noqa: BLE001 - reported in the test's thread
            errors.append(error)
            barrier.abort()
        finally:
            connections.close_all()  # each thread's own connection

    threads = [threading.Thread(target=run, args=(index, job), daemon=True) for index, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + seconds
    for thread in threads:
        thread.join(timeout=max(0.1, deadline - time.monotonic()))
    assert not any(thread.is_alive() for thread in threads), "a racing thread hangs (a deadlock?)"
    if errors:
        raise errors[0]
    return results


def receipts_of(user):
    with scopes_disabled():
        return list(OutgoingMessage.objects.filter(channel=OutgoingMessage.Channel.EMAIL, to=user.email))


@pytest.mark.django_db(transaction=True)
def test_a_double_click_in_many_tabs_at_once_makes_one_payment_and_one_provider_payment(payer):
    """RACERS requests send the same pay form (one token) at the same moment, then RACERS
    confirm it at the same moment: one Payment, one payment at the provider, one page to pay on."""
    user, _client, account, _shop = payer
    token = uuid.uuid4()

    def pay():
        client = client_on(account.tenant, user)
        return lambda: start(client, account, token=token)[0]

    responses = together([pay] * RACERS)
    assert [response.status_code for response in responses] == [302] * RACERS
    assert {response["Location"] for response in responses} == {f"/payments/{token}/confirm/"}
    with scopes_disabled():
        assert Payment.objects.count() == 1
    payment = payment_of(token)
    assert (payment.status, payment.user_id, payment.account_id) == ("created", user.pk, account.pk)

    def confirm():
        client = client_on(account.tenant, user)
        return lambda: to_sandbox(client, payment)

    pages = together([confirm] * RACERS)
    with scopes_disabled():
        [provider_payment] = SandboxPayment.objects.all()
        assert Payment.objects.count() == 1
    assert set(pages) == {f"/sandbox-pay/{provider_payment.pk}/"}
    payment = payment_of(token)
    assert (payment.status, payment.provider_payment_id) == ("pending", str(provider_payment.pk))
    assert provider_payment.amount_kopecks == payment.amount_kopecks == 150000


@pytest.mark.django_db(transaction=True)
def test_a_notification_delivered_many_times_at_once_while_the_payer_asks_applies_once(payer, monkeypatch, outbox):
    """Paid at the provider, not yet known to the portal: the same signed notification arrives
    RACERS times at once while RACERS other callers (the return page, the repair task) ask the
    provider. The payment succeeds once, with one receipt; the notification is stored once and
    every delivery of it is counted."""
    user, _client, account, shop = payer
    monkeypatch.setattr(sandbox, "_schedule_notifications", lambda payment, event: None)  # sent by hand below
    client = client_on(account.tenant, user)
    _response, token = start(client, account)
    to_sandbox(client, payment_of(token))
    with scopes_disabled():
        provider_payment = SandboxPayment.objects.get()
    sandbox.finish(provider_payment, succeeded=True)
    provider_payment.refresh_from_db()
    assert provider_payment.status == "succeeded"
    assert payment_of(token).status == "pending"  # nobody told the portal yet
    body = sandbox.notification_body(provider_payment, "payment.succeeded")

    def deliver():
        provider = Client(HTTP_HOST=f"{account.tenant.slug}.localhost", REMOTE_ADDR="127.0.0.1")
        return lambda: notify(provider, shop, body).status_code

    def ask():
        with tenant_scope(account.tenant):
            payment = Payment.objects.select_related("provider_account").get(public_id=token)

        def go():
            with tenant_scope(account.tenant):
                applied = services.payment_refresh(payment)
                return applied.status, applied.succeeded_at

        return go

    results = together([deliver, ask] * RACERS)
    statuses, asked = results[0::2], results[1::2]
    assert statuses == [200] * RACERS
    payment = payment_of(token)
    assert payment.status == "succeeded" and payment.succeeded_at and payment.finished_at
    # Every caller saw the one success, with the time it was first recorded.
    assert set(asked) == {("succeeded", payment.succeeded_at)}
    [receipt] = receipts_of(user)
    assert receipt.status == OutgoingMessage.Status.SENT and receipt.attempts == 1
    assert len(outbox.messages(user.email)) == 1
    with scopes_disabled():
        [event] = PaymentEvent.objects.all()
    assert event.processed_at is not None
    assert event.deliveries == RACERS, f"{RACERS} deliveries, {event.deliveries} counted"


# Real worker processes on Redis, killed with SIGKILL while applying a notification.
#
# They run the prefork pool, as production does (docker-compose: `celery -A portal worker`):
# a solo worker runs its task inside its event loop, so even an early ack waits until the task
# returns, and a killed solo worker would redeliver its task whether acks_late is on or not.

CELERY = Path(sys.executable).with_name("celery")
BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/12")
# Seconds before Redis hands an unacknowledged message (its worker died) to another worker:
# settings read it from CELERY_VISIBILITY_TIMEOUT (240 in production), and workers look for such
# messages every eighth of it.
VISIBILITY_TIMEOUT = 2
WORKER_WAIT = 40  # seconds for anything a worker is waited for (its start included)


def database_url():
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def connect(**options):
    db = connection.settings_dict
    return psycopg.connect(psycopg.conninfo.make_conninfo(
        dbname=db["NAME"], user=db["USER"] or None, password=db["PASSWORD"] or None,
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432,
    ), **options)


class Worker:
    """``celery -A portal worker`` in its own process group, on the test's queue and database,
    one pool process; its database sessions are named ``name`` (PGAPPNAME), so that the test
    sees what they wait for."""

    def __init__(self, name, *, queue, env, log_dir):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [str(CELERY), "-A", "portal", "worker", "--pool=prefork", "--concurrency=1", "-Q", queue,
                 "-n", f"{name}@%h", "--loglevel=info", "--without-mingle", "--without-gossip",
                 "--without-heartbeat"],
                cwd=django_settings.BASE_DIR, env={**env, "PGAPPNAME": name}, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )

    def log(self):
        return self.log_path.read_text(errors="replace")

    def ready(self):
        return " ready." in self.log()

    def pool_processes(self):
        pid = self.process.pid
        children = []
        for task in Path(f"/proc/{pid}/task").glob("*"):
            with contextlib.suppress(OSError):  # the thread or the process has ended
                children += [int(child) for child in (task / "children").read_text().split()]
        return children

    def kill(self):
        """SIGKILL to the worker and its pool process (a machine or container lost)."""
        children = self.pool_processes()
        if self.process.poll() is None:
            self.process.kill()
        for child in children:
            kill_pid(child)
        self.process.wait(timeout=10)

    def kill_pool_process(self):
        """SIGKILL to its pool process alone (the OOM killer); the worker goes on."""
        [child] = self.pool_processes()
        kill_pid(child)

    def stop(self):
        """Warm shutdown (what a deploy does); killed if it does not stop."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def kill_pid(pid):
    with contextlib.suppress(ProcessLookupError):  # gone already
        os.kill(pid, signal.SIGKILL)


def wait_for(condition, what, *, workers=(), seconds=WORKER_WAIT):
    """Poll ``condition`` until it gives something true; fail with the workers' logs if it
    never does or a worker exits meanwhile."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        dead = [worker for worker in workers if worker.process.poll() is not None]
        if dead or time.monotonic() > deadline:
            logs = "\n".join(f"--- {worker.name} (exit {worker.process.poll()}):\n{worker.log()[-4000:]}"
                             for worker in workers)
            pytest.fail(f"{'a worker exited' if dead else 'timed out'} waiting for {what}\n{logs}")
        time.sleep(0.05)


@pytest.fixture
def broker():
    """A queue of this test's own on the test Redis, and an app that sends to it as the portal
    would; the queue and anything of it left unacknowledged are removed afterwards."""
    queue = f"payments-races-{uuid.uuid4().hex[:8]}"
    app = Celery("payments-races", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(broker_url=BROKER_URL, task_always_eager=False, task_default_queue=queue,
                    broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT})
    client = redis.Redis.from_url(BROKER_URL)
    broker = SimpleNamespace(app=app, queue=queue, redis=client)
    broker.unacked = lambda: [tag for tag, stored in client.hgetall("unacked").items()
                              if queue in json.loads(stored)[1:]]  # [message, exchange, routing key]
    broker.idle = lambda: not broker.unacked() and not client.llen(queue)
    try:
        yield broker
    finally:
        for tag in broker.unacked():
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)
        with app.connection_for_write() as broker_connection:
            broker_connection.default_channel.queue_purge(queue)
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        client.zrem("_kombu.binding_deadlines", queue)
        client.close()
        app.close()


@pytest.fixture
def start_worker(broker, tmp_path):
    """start_worker(**environment): a new worker process on the test's queue, database and
    outbox; every one is stopped afterwards, and database sessions of killed ones are ended."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("CELERY_", "PG", "DJANGO_")) and name not in ("REDIS_URL", "EMAIL_URL")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "portal.settings", "DEBUG": "false", "SECRET_KEY": "payments-races-" * 4,
        "DATABASE_URL": database_url(), "CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": BROKER_URL, "CELERY_TASK_DEFAULT_QUEUE": broker.queue,
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "PAYMENT_SECRETS_KEYS": ",".join(django_settings.PAYMENT_SECRETS_KEYS),
        "PAYMENT_SANDBOX_ENABLED": "true", "OUTBOX_DIR": str(django_settings.OUTBOX_DIR),
    })
    workers = []

    def start(**settings):
        worker = Worker(f"race{len(workers) + 1}-{broker.queue[-8:]}", queue=broker.queue, env={**env, **settings},
                        log_dir=tmp_path)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        try:
            worker.stop()
        except Exception:  # noqa: BLE001 - the next ones are stopped all the same
            worker.kill()
    with connect(autocommit=True) as cleanup:  # the database is emptied after the test
        for worker in workers:
            cleanup.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
                            [worker.name])


@pytest.fixture
def locks():
    """A database session of the test's that holds locks in the workers' way (``hold``,
    ``release``), and what a worker's sessions are doing (``blocked``, ``ended``)."""
    holder = connect(application_name="payments-races-holder")
    monitor = connect(autocommit=True, application_name="payments-races-monitor")

    def blocked(worker):
        """(session, statement) of ``worker``'s that waits for a lock the test holds, or None."""
        return monitor.execute(
            "SELECT pid, query FROM pg_stat_activity WHERE application_name = %s "
            "AND %s = ANY(pg_blocking_pids(pid))", [worker.name, holder.info.backend_pid]).fetchone()

    def ended(session):
        return not monitor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [session]).fetchone()

    def end(session):
        """End ``session`` as a PostgreSQL restart ends them all."""
        assert monitor.execute("SELECT pg_terminate_backend(%s, 10000)", [session]).fetchone()[0]

    try:
        yield SimpleNamespace(hold=holder.execute, release=holder.rollback, blocked=blocked, ended=ended, end=end)
    finally:
        holder.close()  # first: a worker still waiting may go on and stop
        monitor.close()


@pytest.fixture
def notified(payer, monkeypatch, broker):
    """A payment paid at the provider that the portal does not know of yet, and the provider's
    notification about it stored by the notify view, whose task the test sends to its queue:
    (user, payment, event, send)."""
    user, client, account, shop = payer
    monkeypatch.setattr(sandbox, "_schedule_notifications", lambda payment, event: None)
    payment = pay_through(client, account)
    # Paid at the provider; nobody told the portal, nor has it asked.
    assert payment.status == "pending" and payment.checked_at is None
    with scopes_disabled():
        provider_payment = SandboxPayment.objects.get()
    queued = []
    monkeypatch.setattr("payments.views.tasks", SimpleNamespace(
        apply_payment_event=SimpleNamespace(delay=lambda **kwargs: queued.append(kwargs))))
    assert notify(client, shop, sandbox.notification_body(provider_payment, "payment.succeeded")).status_code == 200
    [arguments] = queued  # what the view enqueued after its commit
    with scopes_disabled():
        event = PaymentEvent.objects.get()
    assert arguments == {"tenant_id": account.tenant_id, "event_id": event.pk}

    def send():
        broker.app.send_task("payments.tasks.apply_payment_event", kwargs=arguments, queue=broker.queue)

    return SimpleNamespace(user=user, payment=payment, event=event, send=send)


def kill_while_blocked(worker, locks, statement, *, whole=True):
    """Wait until ``worker`` waits for the lock the test holds in ``statement``; kill it (or its
    pool process), then release the lock and wait until its database session has ended (and
    rolled back what it had not committed)."""
    session, query = wait_for(lambda: locks.blocked(worker), f"{worker.name} to wait for the test's lock",
                              workers=[worker])
    assert query.startswith(statement), query
    if whole:
        worker.kill()
    else:
        worker.kill_pool_process()
    locks.release()
    wait_for(lambda: locks.ended(session), f"{worker.name}'s database session to end")
    return time.monotonic()


def assert_nothing_happened(notified):
    payment = payment_of(notified.payment.public_id)
    assert payment.status == "pending" and payment.succeeded_at is None
    assert receipts_of(notified.user) == []
    notified.event.refresh_from_db()
    assert notified.event.processed_at is None


def assert_applied_once(notified, outbox):
    payment = payment_of(notified.payment.public_id)
    assert payment.status == "succeeded" and payment.succeeded_at
    [receipt] = receipts_of(notified.user)
    assert (receipt.status, receipt.attempts) == (OutgoingMessage.Status.SENT, 1)
    [sent] = outbox.messages(notified.user.email)
    assert payment.provider_payment_id in sent.text


def applied(notified, broker):
    """The notification is applied, its receipt sent, and nothing of the queue is left."""
    notified.event.refresh_from_db()
    receipts = receipts_of(notified.user)
    return bool(notified.event.processed_at and receipts and receipts[0].status == OutgoingMessage.Status.SENT
                and broker.idle())


def after_visibility_timeout(killed_at):
    time.sleep(max(0.0, killed_at + VISIBILITY_TIMEOUT + 0.5 - time.monotonic()))


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_at_each_step_of_applying_a_notification_loses_and_doubles_nothing(
        notified, broker, start_worker, locks, outbox):
    """A worker applying a notification is killed (SIGKILL, with its pool process) three times:
    while it waits to lock the payment; after it marked the payment paid, before its transaction
    wrote the receipt; after it committed, before it marked the event done and acknowledged the
    message. Each time Redis hands the message (acks_late) to the next worker: what was not
    committed is done once, what was committed is not done again."""
    # 1. Killed in payment_apply, waiting for the payment's row lock: the test holds a key-share
    # lock, which lets the «checked_at» update pass and stops SELECT ... FOR UPDATE.
    locks.hold("SELECT id FROM payments_payment WHERE id = %s FOR KEY SHARE", [notified.payment.pk])
    notified.send()
    killed_at = kill_while_blocked(start_worker(), locks, 'SELECT "payments_payment"."id"')
    assert_nothing_happened(notified)
    assert payment_of(notified.payment.public_id).checked_at  # it had asked the provider
    assert broker.unacked(), "the killed worker's message was acknowledged: lost"

    # 2. Killed after it marked the payment paid in its transaction, while the receipt's row
    # waits for the outbox table, which the test holds.
    locks.hold("LOCK TABLE portal_outgoingmessage IN SHARE MODE")
    after_visibility_timeout(killed_at)
    killed_at = kill_while_blocked(start_worker(), locks, 'INSERT INTO "portal_outgoingmessage"')
    assert_nothing_happened(notified)
    assert broker.unacked(), "the killed worker's message was acknowledged: lost"

    # 3. Killed after its transaction committed (the payment paid, the receipt queued), while
    # marking the event done waits for the event's row, which the test holds: a task that did
    # its work but was never acknowledged. (That last UPDATE, already sent, still runs and
    # commits on its own once the lock is released.)
    locks.hold("SELECT id FROM payments_paymentevent WHERE id = %s FOR UPDATE", [notified.event.pk])
    after_visibility_timeout(killed_at)
    killed_at = kill_while_blocked(start_worker(), locks, 'UPDATE "payments_paymentevent"')
    paid = payment_of(notified.payment.public_id)
    assert paid.status == "succeeded" and paid.succeeded_at
    [receipt] = receipts_of(notified.user)
    assert receipt.status == OutgoingMessage.Status.QUEUED  # its delivery waits in the queue
    assert broker.unacked(), "the killed worker's message was acknowledged"

    # 4. Nothing in the way: the message comes round a fourth time and changes nothing paid.
    after_visibility_timeout(killed_at)
    last = start_worker()
    wait_for(lambda: applied(notified, broker), "the notification to be applied and its receipt sent", workers=[last])
    assert_applied_once(notified, outbox)
    assert payment_of(notified.payment.public_id).succeeded_at == paid.succeeded_at
    assert "Task payments.tasks.apply_payment_event" in last.log()


@pytest.mark.django_db(transaction=True)
def test_a_pool_process_killed_while_applying_a_notification_loses_nothing(
        notified, broker, start_worker, locks, outbox):
    """The worker's pool process (not the worker) is killed while applying a notification,
    after it marked the payment paid, as the OOM killer would: the worker goes on, and the
    message must go back to the queue (CELERY_TASK_REJECT_ON_WORKER_LOST) rather than be
    acknowledged as failed, and be applied once."""
    locks.hold("LOCK TABLE portal_outgoingmessage IN SHARE MODE")
    notified.send()
    worker = start_worker()
    kill_while_blocked(worker, locks, 'INSERT INTO "portal_outgoingmessage"', whole=False)
    # Run again by the same worker at once; dropped, it never is (the wait times out). Not
    # "the queue is idle" as a sign of dropping: it also is while the message is redelivered.
    wait_for(lambda: applied(notified, broker), "the notification to be run again", workers=[worker])
    assert "WorkerLostError" in worker.log()
    assert_applied_once(notified, outbox)


@pytest.mark.django_db(transaction=True)
def test_a_killed_workers_task_runs_again_on_another_worker_within_the_bound(
        notified, broker, start_worker, locks, outbox):
    """Two workers; the one applying a notification is killed (SIGKILL, with its pool process).
    The other, polling all along, gets the task once its message has been out for the
    visibility timeout, within that and the eighth of it its sweep takes: 240 + 30 s in
    production, here 5 + 0.6 s (test_task_countdowns.py checks the production figures)."""
    visibility_timeout = 5
    workers = [start_worker(CELERY_VISIBILITY_TIMEOUT=str(visibility_timeout)) for _ in range(2)]
    wait_for(lambda: all(worker.ready() for worker in workers), "both workers to be ready", workers=workers)
    locks.hold("SELECT id FROM payments_payment WHERE id = %s FOR KEY SHARE", [notified.payment.pk])
    notified.send()
    running = wait_for(lambda: next((worker for worker in workers if locks.blocked(worker)), None),
                       "a worker to apply the notification", workers=workers)
    [other] = [worker for worker in workers if worker is not running]
    killed_at = time.monotonic()
    running.kill()
    wait_for(lambda: locks.blocked(other), "the other worker to apply it", workers=[other],
             seconds=visibility_timeout * 3)
    again_after = time.monotonic() - killed_at
    # The bound, and a second for this test's polling and the pool process's start of the task.
    assert again_after <= visibility_timeout * 9 / 8 + 1, f"ran again after {again_after:.1f} s"
    locks.release()
    wait_for(lambda: applied(notified, broker), "the notification to be applied", workers=[other])
    assert_applied_once(notified, outbox)


@pytest.mark.django_db(transaction=True)
def test_a_task_whose_database_session_ends_is_retried_and_applies_once(notified, broker, start_worker, locks, outbox):
    """PostgreSQL restarting (or failing over) ends every session: here the worker's, while it
    waits for the payment's lock. The task is retried, on a new connection, after at most
    TASK_MAX_COUNTDOWN (half the visibility timeout: 1 s here), and applies the notification once."""
    locks.hold("SELECT id FROM payments_payment WHERE id = %s FOR KEY SHARE", [notified.payment.pk])
    notified.send()
    worker = start_worker()
    session, _query = wait_for(lambda: locks.blocked(worker), "the worker to wait for the payment", workers=[worker])
    locks.end(session)
    locks.release()
    wait_for(lambda: applied(notified, broker), "the notification to be retried and applied", workers=[worker])
    log = worker.log()
    assert "retry: Retry in 1s: OperationalError" in log, log[-4000:]
    assert_applied_once(notified, outbox)
