"""Who gets a reading reminder, and that each goes out once."""

import datetime
import email

import pytest

from meters.models import Reading
from notifications import services
from notifications.factories import create, subscriber
from notifications.models import Notification, Subscription
from portal.models import OutgoingMessage
from portal.scoping import scopes_disabled, tenant_scope

pytestmark = pytest.mark.django_db

OPENS = datetime.date(2026, 11, 15)  # the window is 15–25
CLOSING = datetime.date(2026, 11, 23)  # two days before the 25th


def run(supplier, today):
    with tenant_scope(supplier.tenant):
        return services.reminders_send(tenant=supplier.tenant, today=today)


def sent_to():
    with scopes_disabled():
        return sorted((message.channel, message.to) for message in OutgoingMessage.objects.all())


def test_the_window_opening_reminds_full_links_with_a_meter_once(alpha):
    full = subscriber(alpha, "1001", email="full@example.com")
    subscriber(alpha, "1002", email="basic@example.com", access="basic")  # cannot open the readings page
    subscriber(alpha, "1003", email="nometer@example.com", meter=False)
    subscriber(alpha, "1004", email="unconfirmed@example.com", verified=False)
    assert run(alpha, OPENS) == {"reading_window_opens": 1, "reading_window_closing": 0}
    assert run(alpha, OPENS) == {"reading_window_opens": 0, "reading_window_closing": 0}
    assert sent_to() == [("email", "full@example.com")]
    with scopes_disabled():
        notification = Notification.objects.get()
    assert (notification.user_id, notification.kind, notification.key, notification.channels) == (
        full.user_id, "reading_window_opens", f"{full.account_id}:2026-11", "email")


def test_no_reminder_on_days_the_window_neither_opens_nor_nears_its_end(alpha):
    subscriber(alpha, "1001", email="full@example.com")
    for day in (1, 14, 16, 22, 24, 25, 26):
        assert sum(run(alpha, OPENS.replace(day=day)).values()) == 0
    assert sent_to() == []


def test_closing_reminds_only_accounts_with_nothing_submitted_this_period(alpha):
    waiting = subscriber(alpha, "1001", email="waiting@example.com")
    done = subscriber(alpha, "1002", email="done@example.com")
    rejected = subscriber(alpha, "1003", email="rejected@example.com")
    earlier = subscriber(alpha, "1004", email="earlier@example.com")
    now = datetime.datetime(2026, 11, 20, 12, tzinfo=datetime.UTC)
    with scopes_disabled():
        for link, status, period in ((done, "submitted", "2026-11-01"), (rejected, "rejected", "2026-11-01"),
                                     (earlier, "accepted", "2026-10-01")):
            create(Reading, alpha.tenant, meter=link.account.meters.get(), value=1, taken_on=now.date(),
                   source="portal", submitted_at=now, submitted_by=link.user, status=status, period=period)
    assert run(alpha, CLOSING)["reading_window_closing"] == 3
    assert sent_to() == [("email", "earlier@example.com"), ("email", "rejected@example.com"),
                         ("email", waiting.user.email)]


def test_choices_and_channels(alpha):
    off = subscriber(alpha, "1001", email="off@example.com")
    subscriber(alpha, "1002", phone="+79001110002")  # no e-mail: SMS by default
    both = subscriber(alpha, "1003", email="both@example.com", phone="+79001110003")
    sms_off = subscriber(alpha, "1004", email="", phone="+79001110004")
    with tenant_scope(alpha.tenant):
        Subscription.objects.create(tenant=alpha.tenant, user=off.user, reading_reminders=False)
        Subscription.objects.create(tenant=alpha.tenant, user=both.user, by_sms=True)
        Subscription.objects.create(tenant=alpha.tenant, user=sms_off.user, by_sms=False)
    run(alpha, OPENS)
    assert sent_to() == [("email", "both@example.com"), ("sms", "+79001110002"), ("sms", "+79001110003")]


def test_another_tenants_subscribers_are_not_touched(alpha, beta):
    subscriber(alpha, "1001", email="a@example.com")
    subscriber(beta, "1001", email="b@example.com")  # beta has the default window, 15–25 too
    run(alpha, OPENS)
    assert sent_to() == [("email", "a@example.com")]


def test_the_e_mail_names_the_account_and_carries_its_unsubscribe_link(alpha, django_capture_on_commit_callbacks,
                                                                      settings):
    link = subscriber(alpha, "1001", email="full@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        run(alpha, OPENS)
    [path] = list(settings.OUTBOX_DIR.glob("*.eml"))
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    body = message.get_body().get_content()
    assert "№ 1001" in body and "с 15 по 25 число" in body
    assert f"/personal/{link.account_id}/readings/" in body
    url = message["List-Unsubscribe"].strip().strip("<>")
    assert url in body and "/unsubscribe/" in url
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
