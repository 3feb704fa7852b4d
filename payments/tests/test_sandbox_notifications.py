"""The sandbox's notifications are tried again from the database (issue 25, item 4): the wait
before each try is a due time in SandboxNotification that a beat sweep reads, never a
countdown longer than the broker's visibility timeout; a try is made once however many tasks
carry it; a try lost with its worker is made again."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.utils import timezone

from payments import tasks
from payments.providers.sandbox import remote as sandbox
from payments.factories import pay_through, payment_of, start, to_sandbox
from payments.models import Payment, PaymentEvent, ProviderAccount, SandboxNotification
from portal.celery import app
from portal.retries import MAX_COUNTDOWN
from portal.scoping import scopes_disabled


def shop_answers(shop, *, active):
    """The shop stops taking notifications (its provider account switched off: the portal
    answers 404) or takes them again."""
    with scopes_disabled():
        ProviderAccount.objects.filter(pk=shop.pk).update(is_active=active)


def paid_while_the_shop_refuses(client, account, shop):
    """Paid at the sandbox while the shop answers its notifications 404."""
    _response, token = start(client, account)
    page = to_sandbox(client, payment_of(token))
    shop_answers(shop, active=False)
    client.post(page, {"outcome": "success"})
    return payment_of(token)


def notification():
    with scopes_disabled():
        return SandboxNotification.objects.get()


@pytest.fixture
def clock(monkeypatch):
    """The sandbox's clock, moved by the test."""
    clock = SimpleNamespace(now=timezone.now())
    monkeypatch.setattr(sandbox, "timezone", SimpleNamespace(now=lambda: clock.now))
    return clock


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """sweep(now): the beat sweep at ``now``, what it commits followed through as in
    production (the notify view's task, the receipt) though the test's transaction never
    commits; how many tries it queued."""
    def run(now):
        with django_capture_on_commit_callbacks(execute=True):
            return sandbox.send_due_notifications(now=now)

    return run


@pytest.mark.django_db
def test_a_notification_the_shop_refused_is_sent_again_by_the_sweep_when_due(payer, sweep):
    _user, client, account, shop = payer
    payment = paid_while_the_shop_refuses(client, account, shop)
    assert payment.status == "pending"  # the notification was refused
    refused = notification()
    assert (refused.status, refused.attempts, refused.last_result) == ("pending", 1, "404")
    assert refused.due_at == pytest.approx(timezone.now() + timedelta(seconds=5), abs=timedelta(seconds=2))

    assert tasks.send_due_sandbox_notifications() == 0  # not due yet: nothing sent
    shop_answers(shop, active=True)
    assert sweep(refused.due_at) == 1
    delivered = notification()
    assert (delivered.status, delivered.attempts, delivered.last_result) == ("delivered", 2, "200")
    assert payment_of(payment.public_id).status == "succeeded"


@pytest.mark.django_db
def test_the_waits_grow_to_an_hour_and_the_sandbox_gives_up_after_a_day(payer, clock, sweep, caplog):
    _user, client, account, shop = payer
    paid_while_the_shop_refuses(client, account, shop)
    waits = []
    while (pending := notification()).status == "pending":
        waits.append((pending.due_at - clock.now).total_seconds())
        clock.now = pending.due_at
        assert sweep(clock.now) == 1
    assert waits == [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560] + [3600] * 19
    assert 20 < sum(waits) / 3600 < 24  # about a day, as real providers try
    assert (pending.status, pending.attempts) == ("abandoned", sandbox.NOTIFY_TRIES)
    assert "Sandbox gave up notifying" in caplog.text
    clock.now += timedelta(days=1)
    assert sweep(clock.now) == 0


@pytest.mark.django_db
def test_a_try_is_made_once_however_many_tasks_carry_it(payer):
    """The task queued with a countdown and the sweep (or a task the broker handed out twice)
    carry the same try: the first to claim it makes it, the others nothing."""
    _user, client, account, shop = payer
    paid_while_the_shop_refuses(client, account, shop)
    shop_answers(shop, active=True)
    refused = notification()
    assert sandbox.send_notification(refused.pk, attempt=1) == 200
    assert sandbox.send_notification(refused.pk, attempt=1) is None
    assert sandbox.send_notification(refused.pk, attempt=0) is None  # a stale copy of the first try
    assert notification().attempts == 2
    with scopes_disabled():
        assert PaymentEvent.objects.get().deliveries == 1


class WorkerKilled(BaseException):
    """The process dies in the middle of a try (SIGKILL: nothing after it runs)."""


@pytest.mark.django_db
def test_a_try_lost_with_its_worker_is_made_again_after_the_lease(payer, clock, sweep, monkeypatch):
    _user, client, account, _shop = payer
    deliver = sandbox.deliver

    def killed(payment, event):
        monkeypatch.setattr(sandbox, "deliver", deliver)
        raise WorkerKilled

    monkeypatch.setattr(sandbox, "deliver", killed)
    with pytest.raises(WorkerKilled):
        pay_through(client, account)
    lost = notification()
    assert (lost.status, lost.attempts, lost.due_at) == ("pending", 1, clock.now + sandbox.NOTIFY_LEASE)
    assert sweep(clock.now + timedelta(seconds=60)) == 0  # it may still be trying
    clock.now = lost.due_at
    assert sweep(clock.now) == 1
    assert (notification().status, notification().attempts) == ("delivered", 2)
    with scopes_disabled():
        assert Payment.objects.get().status == "succeeded"


@pytest.mark.django_db
def test_only_waits_the_broker_may_hold_are_queued_with_a_countdown(payer, monkeypatch):
    """With a broker, a try due within MAX_COUNTDOWN goes with a countdown; a later one is
    left to the sweep (a longer countdown would outlive the broker's visibility timeout)."""
    _user, client, account, shop = payer
    paid_while_the_shop_refuses(client, account, shop)
    queued = []
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setattr(tasks.send_sandbox_notification, "apply_async",
                        lambda kwargs, countdown: queued.append((kwargs["attempt"], countdown)))
    pending = notification()
    for _try in range(7):  # waits of 10 … 640 s after tries 2 … 8
        sandbox.send_notification(pending.pk, attempt=notification().attempts)
    assert queued == [(attempt, sandbox.retry_delay(attempt)) for attempt in range(2, 8)
                      if sandbox.retry_delay(attempt) <= MAX_COUNTDOWN]
    assert queued and max(countdown for _attempt, countdown in queued) <= MAX_COUNTDOWN < 640


def test_beat_runs_the_sweep_every_minute():
    [entry] = [entry for entry in settings.CELERY_BEAT_SCHEDULE.values()
               if entry["task"] == "payments.tasks.send_due_sandbox_notifications"]
    assert entry["schedule"] == 60.0
    assert entry["task"] in app.tasks
