"""A real Celery worker, consuming from Redis, delivers a message queued by the portal."""

import os
import time

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker

from portal import demo
from portal.celery import app as portal_app
from portal.messaging import read_outbox
from portal.models import Tenant

BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_celery_app():
    app = Celery("portal-test", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(broker_url=BROKER_URL, task_always_eager=False, task_default_queue="portal-test")
    app.loader.import_default_modules()
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge("portal-test")  # nothing left from an earlier run
    yield app
    app.close()
    # start_worker makes its app the current and default one; give that back, or every
    # later .delay() would be sent to this test's Redis queue, where nobody listens.
    portal_app.set_current()
    portal_app.set_default()


@pytest.mark.django_db(transaction=True)
def test_a_worker_delivers_an_sms_through_redis(redis_celery_app):
    demo.seed_demo()
    tenant = Tenant.objects.get(slug="rosseti")
    deliver_sms = redis_celery_app.tasks["portal.tasks.deliver_sms"]
    with start_worker(redis_celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        deliver_sms.delay(tenant_id=tenant.pk, to="+79001112233", text="Код подтверждения: 424242")
        deadline = time.monotonic() + 30
        while not read_outbox() and time.monotonic() < deadline:
            time.sleep(0.1)
    [entry] = read_outbox()
    assert (entry.channel, entry.tenant_slug, entry.text) == ("sms", "rosseti", "Код подтверждения: 424242")
