"""A real Celery worker, consuming from Redis, delivers a message queued by the portal."""

import os
import time

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker

from portal import demo
from portal.celery import app as portal_app
from portal.messaging import read_outbox
from portal.models import OutgoingMessage, Tenant
from portal.scoping import tenant_scope

BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_celery_app():
    app = Celery("portal-test", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    # A result backend only here: the tests wait for tasks to finish.
    app.conf.update(broker_url=BROKER_URL, result_backend=BROKER_URL, task_always_eager=False,
                    task_default_queue="portal-test")
    app.loader.import_default_modules()
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge("portal-test")  # nothing left from an earlier run
    yield app
    app.close()
    # start_worker makes its app the current and default one; give that back, or every
    # later .delay() would be sent to this test's Redis queue, where nobody listens.
    portal_app.set_current()
    portal_app.set_default()


def wait_for(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)


def queued_sms(tenant, to, text):
    with tenant_scope(tenant):
        message = OutgoingMessage.objects.create(tenant=tenant, channel="sms", to=to)
    return {"tenant_id": tenant.pk, "message_id": message.pk, "subject": "", "body": text}


@pytest.mark.django_db(transaction=True)
def test_a_worker_delivers_an_sms_through_redis(redis_celery_app):
    demo.seed_demo()
    tenant = Tenant.objects.get(slug="rosseti")
    deliver = redis_celery_app.tasks["portal.tasks.deliver_message"]
    with start_worker(redis_celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        deliver.delay(**queued_sms(tenant, "+79001112233", "Код подтверждения: 424242"))
        wait_for(read_outbox)
    [entry] = read_outbox()
    assert (entry.channel, entry.tenant_slug, entry.text) == ("sms", "rosseti", "Код подтверждения: 424242")
    with tenant_scope(tenant):
        assert OutgoingMessage.objects.get().status == OutgoingMessage.Status.SENT


@pytest.mark.django_db(transaction=True)
def test_the_same_delivery_run_twice_by_a_worker_sends_once(redis_celery_app):
    """acks_late, a retry or a duplicate in the broker: the task runs again, the SMS does not."""
    demo.seed_demo()
    tenant = Tenant.objects.get(slug="mygaz")
    deliver = redis_celery_app.tasks["portal.tasks.deliver_message"]
    arguments = queued_sms(tenant, "+79001112244", "Код подтверждения: 515151")
    with start_worker(redis_celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        first, second = deliver.delay(**arguments), deliver.delay(**arguments)
        wait_for(lambda: first.ready() and second.ready())
    assert first.ready() and second.ready()
    assert [entry.text for entry in read_outbox()] == ["Код подтверждения: 515151"]
    with tenant_scope(tenant):
        message = OutgoingMessage.objects.get()
    assert (message.status, message.attempts) == (OutgoingMessage.Status.SENT, 1)
