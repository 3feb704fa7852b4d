"""A real Celery worker, consuming from Redis, delivers a message queued by the portal."""

import pytest
from celery.contrib.testing.worker import start_worker

from portal import demo
from portal.messaging import read_outbox
from portal.factories import OutgoingMessageFactory
from portal.models import OutgoingMessage, Tenant
from portal.scoping import tenant_scope
from portal.testing import wait_for


def queued_sms(tenant, to, text):
    """The task's arguments for a queued SMS: only the row's id (its text is kept with it)."""
    message = OutgoingMessageFactory(tenant=tenant, to=to, text=text)
    return {"tenant_id": tenant.pk, "message_id": message.pk}


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
