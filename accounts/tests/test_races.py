"""Concurrent requests against real PostgreSQL: what one request alone cannot show."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.models import Confirmation
from portal.messaging import read_outbox
from portal.scoping import scopes_disabled

PHONE = "+79007776655"


def concurrently(count, request):
    """Run request(i) in ``count`` threads released at the same moment."""
    barrier = threading.Barrier(count)
    errors = []

    def run(index):
        try:
            barrier.wait()
            request(index)
        except Exception as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_resends_send_one_sms_and_leave_one_live_code(demo_tenants):
    browser = Client(HTTP_HOST="mygaz.localhost")
    browser.post("/accounts/signup/", {"login": PHONE, "password1": "gzx4pq7", "password2": "gzx4pq7"})
    assert len([m for m in read_outbox() if m.to == PHONE]) == 1
    with scopes_disabled():
        Confirmation.objects.update(created_at=timezone.now() - timedelta(minutes=2))  # past the cooldown

    def resend(index):
        client = Client(HTTP_HOST="mygaz.localhost", REMOTE_ADDR=f"10.8.0.{index}")
        client.cookies = browser.cookies
        client.post("/accounts/signup/resend/")

    concurrently(8, resend)
    assert len([m for m in read_outbox() if m.to == PHONE]) == 2
    with scopes_disabled():
        live = Confirmation.objects.filter(destination=PHONE, superseded=False, used_at__isnull=True)
        assert live.count() == 1
