"""The outbox against a real broker and a real worker process with beat (issue 25, item 1):
a message whose publish failed (the broker down) and one whose task the broker lost (Redis
restarted without persistence) both stay queued in the database, and are sent once a worker
with beat runs again — the sweep publishes them. Times are scaled down through the settings
the sweep reads (OUTBOX_REPUBLISH_AFTER 2 s, OUTBOX_SWEEP_SECONDS 1 s, 60 s and 30 s in
production: a message is sent within 90 s of the broker and a worker with beat being back)."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from celery import Celery
from django.conf import settings as django_settings
from django.db import connection
from kombu.exceptions import OperationalError as BrokerUnavailable

from portal import services, tasks
from portal.factories import TenantFactory
from portal.messaging import read_outbox
from portal.models import OutgoingMessage
from portal.scoping import scopes_disabled, tenant_scope

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a worker process shares the test's database"),
    pytest.mark.django_db(transaction=True),
]

CELERY = Path(sys.executable).with_name("celery")
BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
DEAD_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there: every publish fails
REPUBLISH_AFTER, SWEEP_SECONDS = 2, 1.0


def database_url():
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def broker_app(url, queue):
    app = Celery(f"outbox-{uuid.uuid4().hex[:6]}", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(broker_url=url, task_always_eager=False, task_default_queue=queue,
                    broker_connection_retry=False, broker_connection_max_retries=0)
    return app


@pytest.fixture
def queue():
    """A queue of this test's own on the test Redis, removed afterwards."""
    name = f"outbox-{uuid.uuid4().hex[:8]}"
    yield name
    client = redis.Redis.from_url(BROKER_URL)
    client.delete(name, f"_kombu.binding.{name}")
    client.close()


@pytest.fixture
def worker_with_beat(queue, tmp_path):
    """start(): ``celery -A portal worker -B`` on the test's queue, database and outbox, as
    docker-compose runs the worker and beat; stopped afterwards."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("CELERY_", "PG", "DJANGO_")) and name not in ("REDIS_URL", "EMAIL_URL")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "portal.settings", "DEBUG": "false",
        "SECRET_KEY": django_settings.SECRET_KEY,  # the key the texts were sealed with
        "DATABASE_URL": database_url(), "CONN_MAX_AGE": "0", "PGAPPNAME": queue,
        "CELERY_BROKER_URL": BROKER_URL, "CELERY_TASK_DEFAULT_QUEUE": queue,
        "OUTBOX_DIR": str(django_settings.OUTBOX_DIR), "SMS_BACKEND": "file",
        "OUTBOX_REPUBLISH_AFTER": str(REPUBLISH_AFTER), "OUTBOX_SWEEP_SECONDS": str(SWEEP_SECONDS),
    })
    processes = []
    log_path = tmp_path / "worker.log"

    def start():
        with open(log_path, "wb") as log:
            processes.append(subprocess.Popen(
                [str(CELERY), "-A", "portal", "worker", "-B", "--schedule", str(tmp_path / "beat-schedule"),
                 "--pool=prefork", "--concurrency=1", "-Q", queue, "-n", f"{queue}@%h", "--loglevel=info",
                 "--without-mingle", "--without-gossip", "--without-heartbeat"],
                cwd=django_settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True))
        return lambda: log_path.read_text(errors="replace")

    yield start
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
    with connection.cursor() as cursor:  # the test database is emptied after the test
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
                       [queue])


def statuses():
    with scopes_disabled():
        return dict(OutgoingMessage.objects.values_list("to", "status"))


def test_a_lost_publish_and_a_lost_task_are_sent_once_a_worker_with_beat_is_back(
        queue, worker_with_beat, monkeypatch, settings):
    settings.OUTBOX_REPUBLISH_AFTER = REPUBLISH_AFTER
    tenant = TenantFactory()
    dead, live = broker_app(DEAD_BROKER_URL, queue), broker_app(BROKER_URL, queue)

    # 1. The broker is down when the request commits: the publish fails, the page answers.
    monkeypatch.setattr(tasks.deliver_message, "delay", lambda **kwargs: dead.send_task(
        "portal.tasks.deliver_message", kwargs=kwargs))
    with tenant_scope(tenant):
        services.message_send_email(tenant=tenant, to="lost-publish@example.com", subject="Квитанция",
                                    body="Платёж зачислен")
    with pytest.raises(BrokerUnavailable):  # what the on-commit publish met (and logged)
        dead.send_task("portal.tasks.deliver_message", kwargs={"tenant_id": tenant.pk, "message_id": 0})

    # 2. The task is published, then the broker loses it (Redis restarted without persistence).
    monkeypatch.setattr(tasks.deliver_message, "delay", lambda **kwargs: live.send_task(
        "portal.tasks.deliver_message", kwargs=kwargs))
    with tenant_scope(tenant):
        services.message_send_sms(tenant=tenant, to="+79005550101", text="Показания приняты")
    client = redis.Redis.from_url(BROKER_URL)
    assert client.llen(queue) == 1
    client.delete(queue)
    client.close()
    assert statuses() == {"lost-publish@example.com": "queued", "+79005550101": "queued"}

    # 3. The broker is back, with a worker and beat: both are sent by the sweep, once.
    back = time.monotonic()
    log = worker_with_beat()
    deadline = back + 60
    while time.monotonic() < deadline and set(statuses().values()) != {"sent"}:
        time.sleep(0.2)
    took = time.monotonic() - back
    assert set(statuses().values()) == {"sent"}, log()[-4000:]
    assert sorted(entry.to for entry in read_outbox()) == ["+79005550101", "lost-publish@example.com"]
    assert "sweep_outbox" in log()
    print(f"sent {took:.1f} s after the worker with beat started (republish {REPUBLISH_AFTER} s, sweep "
          f"{SWEEP_SECONDS} s, worker start included)")
    dead.close()
    live.close()
