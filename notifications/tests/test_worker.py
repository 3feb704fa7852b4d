"""Against a real Celery worker consuming from Redis: the reminder run and the invoice run,
each queued twice, send each notice once; an import that brings a new invoice sends one."""

import textwrap

import pytest
from celery.contrib.testing.worker import start_worker

from billing.models import Invoice
from meters.models import ReadingWindow
from notifications.factories import create, subscriber
from notifications.models import Notification
from portal.exchange.files import sources_from_paths
from portal.exchange.staging import import_files
from portal.messaging import read_outbox
from portal.models import OutgoingMessage
from portal.scoping import scopes_disabled
from portal.testing import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def all_sent(count):
    def check():
        with scopes_disabled():
            statuses = list(OutgoingMessage.objects.values_list("status", flat=True))
        return len(statuses) == count and all(status == OutgoingMessage.Status.SENT for status in statuses)
    return check


def run_twice(app, name, tenant):
    task = app.tasks[name]
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        first, second = task.delay(tenant_id=tenant.pk), task.delay(tenant_id=tenant.pk)
        wait_for(lambda: first.ready() and second.ready())
        assert first.ready() and second.ready()
        wait_for(all_sent(1))
    return first.get(), second.get()


def test_the_reminder_run_twice_on_a_worker_sends_once(redis_celery_app, alpha):
    today = alpha.tenant.today()
    with scopes_disabled():
        ReadingWindow.objects.update(first_day=today.day, last_day=today.day)  # the window opens today
    subscriber(alpha, "1001", email="full@example.com")
    results = run_twice(redis_celery_app, "notifications.tasks.send_reading_reminders", alpha.tenant)
    assert sorted(result["reading_window_opens"] for result in results) == [0, 1]
    assert [entry.to for entry in read_outbox()] == ["full@example.com"]
    with scopes_disabled():
        assert Notification.objects.count() == 1


def test_the_invoice_run_twice_on_a_worker_sends_once(redis_celery_app, alpha):
    link = subscriber(alpha, "1001", email="full@example.com")
    create(Invoice, alpha.tenant, account=link.account, period=alpha.tenant.today().replace(day=1), total=100)
    results = run_twice(redis_celery_app, "notifications.tasks.notify_new_invoices", alpha.tenant)
    assert sorted(results) == [0, 1]
    [entry] = read_outbox()
    assert entry.to == "full@example.com" and "новый счёт" in entry.subject


def test_an_import_that_brings_a_new_invoice_sends_one_notice(redis_celery_app, alpha, tmp_path):
    subscriber(alpha, "100200300", email="full@example.com")
    period = alpha.tenant.today().replace(day=1)
    charges = tmp_path / "charges.csv"
    charges.write_text(textwrap.dedent(f"""\
        supplier;account_number;period;service;opening_balance;volume;unit;tariff;charged;recalculated;recalculation_reason;paid;closing_balance;invoice_number;due_on
        energo;100200300;{period:%Y-%m};electricity;0;150;kWh;6,45;967.50;0;;0;967.50;INV-1;{period:%Y-%m}-25
        """), encoding="utf-8")
    with start_worker(redis_celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        import_files(alpha.tenant, sources_from_paths([charges]))
        import_files(alpha.tenant, sources_from_paths([charges]))  # nothing new: nothing written, nothing sent
        wait_for(all_sent(1))
    [entry] = read_outbox()
    assert entry.to == "full@example.com" and "967,50" in entry.text
