"""The beat dispatchers, the import's receiver, the demo's subscriptions and the person's own
data."""

import datetime

import pytest

from notifications import privacy, tasks
from notifications.factories import notification_rows, subscriber
from notifications.models import InvoiceWatermark, Notification, Subscription
from portal.models import Tenant
from portal.scoping import scopes_disabled, tenant_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    calls = []
    for task in (tasks.send_reading_reminders, tasks.notify_new_invoices):
        monkeypatch.setattr(task, "delay", lambda task=task, **kwargs: calls.append((task.name, kwargs["tenant_id"])))
    return calls


def test_reminders_are_queued_in_each_tenants_own_morning(tenants, queued, monkeypatch):
    moscow, vladivostok = tenants
    Tenant.objects.filter(pk=vladivostok.pk).update(time_zone="Asia/Vladivostok")  # UTC+10, Moscow UTC+3
    at = datetime.datetime(2026, 11, 15, 6, 30, tzinfo=datetime.UTC)  # 09:30 in Moscow, 16:30 in Vladivostok
    monkeypatch.setattr(tasks.timezone, "now", lambda: at)
    assert tasks.dispatch_reading_reminders() == 1
    assert queued == [("notifications.tasks.send_reading_reminders", moscow.pk)]
    queued.clear()
    monkeypatch.setattr(tasks.timezone, "now", lambda: at - datetime.timedelta(hours=7))  # 09:30 in Vladivostok
    tasks.dispatch_reading_reminders()
    assert queued == [("notifications.tasks.send_reading_reminders", vladivostok.pk)]


def test_an_import_that_wrote_charges_queues_the_invoice_run(tenants, queued):
    tasks.on_billing_data_changed(None, tenant=tenants[0], kinds={"accounts", "meters"})
    assert queued == []
    tasks.on_billing_data_changed(None, tenant=tenants[0], kinds={"charges"})
    assert queued == [("notifications.tasks.notify_new_invoices", tenants[0].pk)]


def test_the_daily_safety_net_queues_every_tenant(tenants, queued):
    tasks.dispatch_invoice_notices()
    assert sorted(tenant_id for _name, tenant_id in queued) == sorted(tenant.pk for tenant in tenants)


def test_a_switched_off_tenant_is_queued_for_nothing(tenants, queued, monkeypatch):
    moscow, switched_off = tenants
    Tenant.objects.filter(pk=switched_off.pk).update(is_active=False)
    monkeypatch.setattr(tasks.timezone, "now", lambda: datetime.datetime(2026, 11, 15, 6, 30, tzinfo=datetime.UTC))
    tasks.dispatch_reading_reminders()
    tasks.dispatch_invoice_notices()
    assert {tenant_id for _name, tenant_id in queued} == {moscow.pk}


def test_export_and_erase_cover_only_the_persons_own_rows(alpha):
    mine = subscriber(alpha, "1001", email="me@example.com").user
    other = subscriber(alpha, "1002", email="other@example.com").user
    notification_rows(mine)
    notification_rows(other)
    with tenant_scope(alpha.tenant):
        data = privacy.export_user_data(mine)
        assert [row["by_email"] for row in data["subscriptions"]] == [True]
        assert [(row["kind"], row["subject"]) for row in data["notifications"]] == [("new_invoice", "1")]
        privacy.erase_user_data(mine)
        assert not Subscription.objects.filter(user=mine).exists()
        assert not Notification.objects.filter(user=mine).exists()
        assert Notification.objects.filter(user=other).count() == 1


def test_the_demo_consumers_are_subscribed_and_their_history_is_not_news(demo_tenants):
    from accounts.demo import consumer_login

    with scopes_disabled():
        subscribed = set(Subscription.objects.values_list("user__username", flat=True))
        assert consumer_login(demo_tenants["gaz"]) in subscribed
        assert InvoiceWatermark.objects.filter(last_invoice_id__gt=0).exists()
    for tenant in demo_tenants.values():
        with tenant_scope(tenant):
            assert tasks.services.invoices_notify(tenant=tenant) == 0
