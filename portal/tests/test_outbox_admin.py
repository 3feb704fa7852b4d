"""The outbox in the admin (issue 25): staff filter the messages given up on, read why, and
send again those whose text is kept and still valid; the re-send is on the audit trail."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.factories import staff_user
from audit.models import AuditEntry
from portal import tasks
from portal.factories import OutgoingMessageFactory
from portal.models import OutgoingMessage
from portal.scoping import scopes_disabled, tenant_scope
from portal.testing import text_of

CHANGELIST = "/admin/portal/outgoingmessage/"


@pytest.fixture
def staff_client(tenants, tenant_client, admin_login):
    alpha, _beta = tenants
    staff = staff_user(alpha, "outbox-staff", permissions=Permission.objects.filter(
        content_type__app_label="portal", content_type__model="outgoingmessage"))
    client = tenant_client(alpha)
    admin_login(client, staff)
    return client


def test_staff_filter_the_messages_given_up_on_and_read_why(tenants, staff_client):
    alpha, beta = tenants
    OutgoingMessageFactory(tenant=alpha, to="+79001110001", status="failed", attempts=18,
                           error="попытка 18: SmsError: шлюз недоступен")
    OutgoingMessageFactory(tenant=alpha, to="+79001110002", status="sent")
    OutgoingMessageFactory(tenant=beta, to="+79001110003", status="failed", error="чужое")
    page = text_of(staff_client.get(CHANGELIST, {"status__exact": "failed"}))
    assert "+79001110001" in page and "попытка 18: SmsError: шлюз недоступен" in page
    assert "+79001110002" not in page and "+79001110003" not in page
    assert "истёк" in text_of(staff_client.get(CHANGELIST))  # the filter offers every status


def test_staff_send_again_what_can_be_sent_and_the_trail_records_it(tenants, staff_client, monkeypatch):
    alpha, _beta = tenants
    published = []
    monkeypatch.setattr(tasks.deliver_message, "delay", lambda tenant_id, message_id: published.append(message_id))
    failed = OutgoingMessageFactory(tenant=alpha, status="failed", attempts=18, error="попытка 18: OSError")
    expired = OutgoingMessageFactory(tenant=alpha, status="failed", has_code=True,
                                     expires_at=timezone.now() - timedelta(minutes=1))
    response = staff_client.post(CHANGELIST, {"action": "resend", "_selected_action": [failed.pk, expired.pk]},
                                 follow=True)
    page = text_of(response)
    assert "Сообщение снова в очереди." in page
    assert "Сообщение не отправить ещё раз" in page
    assert published == [failed.pk]
    with scopes_disabled():
        assert OutgoingMessage.objects.get(pk=failed.pk).status == "queued"
        assert OutgoingMessage.objects.get(pk=expired.pk).status == "failed"
    with tenant_scope(alpha):
        [entry] = AuditEntry.objects.filter(object_pk=str(failed.pk), content_type__model="outgoingmessage")
    assert entry.changes["status"] == ["failed", "queued"]
    assert "payload" not in entry.changes and "to" not in entry.changes
