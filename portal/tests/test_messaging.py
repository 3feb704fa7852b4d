import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from portal.messaging import HttpSmsBackend, SmsError, read_outbox
from portal.services import message_send_email, message_send_sms


def test_email_goes_to_the_outbox_with_its_tenant(tenants, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message_send_email(tenant=tenants[0], to="ivan@example.com", subject="Код", body="Ваш код: 123456")
    [entry] = read_outbox()
    assert (entry.channel, entry.tenant_slug, entry.to, entry.subject) == ("email", "alpha", "ivan@example.com", "Код")
    assert "123456" in entry.text


def test_sms_goes_to_the_outbox(tenants, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message_send_sms(tenant=tenants[0], to="+79001234567", text="Код: 654321")
    [entry] = read_outbox()
    assert (entry.channel, entry.tenant_slug, entry.to, entry.text) == ("sms", "alpha", "+79001234567", "Код: 654321")


def test_nothing_is_sent_when_the_transaction_rolls_back(tenants, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message_send_sms(tenant=tenants[0], to="+79001234567", text="Код: 654321")
    assert len(callbacks) == 1  # queued for commit, not sent
    assert read_outbox() == []


def test_outbox_page_shows_only_the_hosts_tenant(tenants, tenant_client, settings, django_capture_on_commit_callbacks):
    settings.DEBUG = True
    with django_capture_on_commit_callbacks(execute=True):
        message_send_sms(tenant=tenants[0], to="+79000000001", text="Код alpha: 111111")
        message_send_sms(tenant=tenants[1], to="+79000000002", text="Код beta: 222222")
    page = tenant_client(tenants[0]).get("/dev/outbox/").content.decode()
    assert "111111" in page and "222222" not in page


def test_outbox_page_does_not_exist_in_production(tenants, tenant_client, settings):
    settings.DEBUG = False
    assert tenant_client(tenants[0]).get("/dev/outbox/").status_code == 404


class _Gateway(BaseHTTPRequestHandler):
    received = []
    status = 200

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Gateway.received.append((self.headers["Authorization"], json.loads(body)))
        self.send_response(_Gateway.status)
        self.end_headers()

    def log_message(self, *args):
        """Quiet: the test reads what was received, not the server's log."""


@pytest.fixture
def sms_gateway(settings):
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.SMS_GATEWAY_TOKEN = "secret-token"
    _Gateway.received, _Gateway.status = [], 200
    yield _Gateway
    server.shutdown()


def test_http_sms_backend_posts_to_the_gateway(sms_gateway, settings):
    HttpSmsBackend().send(tenant_slug="mygaz", to="+79001234567", text="Код: 1")
    assert sms_gateway.received == [
        ("Bearer secret-token", {"sender": settings.SMS_SENDER, "to": "+79001234567", "text": "Код: 1", "tenant": "mygaz"})
    ]


def test_http_sms_backend_raises_when_the_gateway_refuses(sms_gateway):
    sms_gateway.status = 503
    with pytest.raises(SmsError):
        HttpSmsBackend().send(tenant_slug="mygaz", to="+79001234567", text="Код: 1")


def test_the_configured_outbox_is_a_real_path(monkeypatch, tmp_path):
    # Tests point OUTBOX_DIR elsewhere; the settings module's own value must work too.
    import importlib

    import portal.settings

    monkeypatch.setenv("OUTBOX_DIR", str(tmp_path / "box"))
    module = importlib.reload(portal.settings)
    assert module.OUTBOX_DIR.joinpath("x").parent.name == "box"
    assert hasattr(module.OUTBOX_DIR, "mkdir") and hasattr(module.STATIC_ROOT, "is_dir")


def test_a_transport_error_puts_the_message_back_in_the_queue(tenants, monkeypatch):
    from portal import services
    from portal.factories import OutgoingMessageFactory
    from portal.scoping import tenant_scope

    class BrokenGateway:
        def send(self, **kwargs):
            raise SmsError("gateway down")

    monkeypatch.setattr(services, "get_sms_backend", BrokenGateway)
    tenant = tenants[0]
    message = OutgoingMessageFactory(tenant=tenant, to="+79001234567", text="Код: 1")
    with tenant_scope(tenant):
        with pytest.raises(services.DeliveryPostponed):
            services.message_deliver(tenant=tenant, message_id=message.pk)
        message.refresh_from_db()
        assert (message.status, message.attempts, message.error) == ("queued", 1, "попытка 1: SmsError: gateway down")
        services.message_give_up(message_id=message.pk, error="gateway down")
        message.refresh_from_db()
        assert message.status == "failed"
        # A task that runs after giving up sends nothing.
        monkeypatch.undo()
        assert services.message_deliver(tenant=tenant, message_id=message.pk) is False
    assert read_outbox() == []


def test_a_task_for_a_deleted_tenant_is_dropped(tenants):
    from portal.models import Tenant
    from portal.tasks import deliver_message

    missing = Tenant.objects.order_by("-pk").first().pk + 100
    assert deliver_message.apply(kwargs={"tenant_id": missing, "message_id": 1, "subject": "", "body": "x"}).get() is None
    assert read_outbox() == []


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_a_message_that_forgets_its_recipient_is_delivered_then_blanked_in_its_row_and_outbox_copy(
        tenants, channel, django_capture_on_commit_callbacks):
    from portal.models import OutgoingMessage
    from portal.scoping import tenant_scope

    tenant = tenants[0]
    with tenant_scope(tenant), django_capture_on_commit_callbacks(execute=True):
        if channel == "email":
            message_send_email(tenant=tenant, to="ivan@example.com", subject="Удалено", body="Прощайте",
                               forget_recipient=True)
            message_send_email(tenant=tenant, to="ivan@example.com", subject="Другое", body="Остаётся")
        else:
            message_send_sms(tenant=tenant, to="+79001234567", text="Прощайте", forget_recipient=True)
            message_send_sms(tenant=tenant, to="+79001234567", text="Остаётся")
    with tenant_scope(tenant):
        forgotten, kept = OutgoingMessage.objects.order_by("pk")
    assert (forgotten.status, forgotten.to) == ("sent", "")
    assert kept.status == "sent" and kept.to  # the other message to the same address keeps it
    entries = {entry.message_id: entry for entry in read_outbox()}
    assert entries[str(forgotten.pk)].to == "" and "Прощайте" in entries[str(forgotten.pk)].text
    assert entries[str(kept.pk)].to == kept.to


def test_a_message_that_forgets_its_recipient_forgets_it_when_given_up_too(tenants, monkeypatch):
    from portal import services
    from portal.factories import OutgoingMessageFactory
    from portal.scoping import tenant_scope

    class BrokenGateway:
        def send(self, **kwargs):
            raise SmsError("gateway refused +79001234567")

    monkeypatch.setattr(services, "get_sms_backend", BrokenGateway)
    tenant = tenants[0]
    message = OutgoingMessageFactory(tenant=tenant, to="+79001234567", forget_recipient=True, text="Прощайте")
    with tenant_scope(tenant):
        with pytest.raises(services.DeliveryPostponed):
            services.message_deliver(tenant=tenant, message_id=message.pk)
        message.refresh_from_db()
        assert (message.status, message.to) == ("queued", "+79001234567")  # the retry needs it
        services.message_give_up(message_id=message.pk, error="gateway refused +79001234567")
        message.refresh_from_db()
    assert (message.status, message.to, message.error, message.payload) == ("failed", "", "", "")
