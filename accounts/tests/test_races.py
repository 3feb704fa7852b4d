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


@pytest.mark.django_db(transaction=True)
def test_parallel_signups_with_one_new_phone_make_one_account_and_no_error(demo_tenants):
    from accounts.models import User
    from portal.scoping import tenant_scope

    statuses = []

    def sign_up(index):
        client = Client(HTTP_HOST="mygaz.localhost", REMOTE_ADDR=f"10.8.1.{index}")
        statuses.append(client.post("/accounts/signup/", {"login": "+79007776600", "password1": f"gzx4pq{index}",
                                                          "password2": f"gzx4pq{index}"}).status_code)

    concurrently(4, sign_up)
    assert statuses == [302] * 4
    with tenant_scope(demo_tenants["mygaz"]):
        assert User.objects.filter(phone="+79007776600").count() == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_resends_where_nothing_is_sent_answer_like_a_real_code(demo_tenants):
    """A signup with a taken phone: its stand-in code allows one resend per cooldown too."""
    from accounts.models import User
    from portal.scoping import tenant_scope

    mygaz = demo_tenants["mygaz"]
    with tenant_scope(mygaz):
        User.objects.create_user(tenant=mygaz, username="+79007776611", phone="+79007776611", password="x")
    browser = Client(HTTP_HOST="mygaz.localhost")
    browser.post("/accounts/signup/", {"login": "+79007776611", "password1": "gzx4pq7", "password2": "gzx4pq7"})
    from django.core.cache import cache

    from accounts.registration import signup_decoy

    cache.delete(signup_decoy(tenant=mygaz, destination="+79007776611")._sent)  # past the cooldown
    answers = []

    def resend(index):
        client = Client(HTTP_HOST="mygaz.localhost", REMOTE_ADDR=f"10.8.2.{index}")
        client.cookies = browser.cookies
        page = client.post("/accounts/signup/resend/", follow=True).content.decode()
        answers.append("Мы отправили новый код" in page)

    concurrently(4, resend)
    assert sum(answers) == 1
