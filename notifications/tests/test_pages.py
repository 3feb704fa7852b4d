"""«Мои подписки» and the one-click unsubscribe link."""

import pytest
from django.core import signing

from accounts.factories import UserFactory
from notifications import services
from notifications.factories import subscriber
from notifications.models import Subscription
from portal.scoping import scopes_disabled

pytestmark = pytest.mark.django_db


def subscription(user):
    with scopes_disabled():
        return Subscription.objects.filter(user=user).values(
            "reading_reminders", "invoice_notices", "by_email", "by_sms").first()


def test_the_page_needs_a_login(alpha, tenant_client):
    response = tenant_client(alpha.tenant).get("/settings/subscriptions/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_page_shows_the_defaults_and_saves_the_boxes(alpha, tenant_client):
    user = UserFactory(tenant=alpha.tenant, email="me@example.com", email_verified=True)
    client = tenant_client(alpha.tenant)
    client.force_login(user)
    page = client.get("/settings/subscriptions/").content.decode()
    assert "Мои подписки" in page and "me@example.com" in page
    assert subscription(user) == {"reading_reminders": True, "invoice_notices": True, "by_email": True,
                                  "by_sms": False}
    response = client.post("/settings/subscriptions/", {"invoice_notices": "on", "by_sms": "on"}, follow=True)
    assert "Подписки сохранены." in response.content.decode()
    assert subscription(user) == {"reading_reminders": False, "invoice_notices": True, "by_email": False,
                                  "by_sms": True}


def test_a_phone_only_customer_gets_sms_by_default(alpha):
    user = UserFactory(tenant=alpha.tenant, email="", phone="+79001112233", username="+79001112233")
    with scopes_disabled():
        assert services.subscription_ensure(user).by_sms


def token(user, topic="reading_reminders", tenant_id=None):
    return services.unsubscribe_token(user_id=user.pk, tenant_id=tenant_id or user.tenant_id, topic=topic)


def test_get_only_asks_and_post_unsubscribes_without_a_login(alpha, tenant_client):
    link = subscriber(alpha, "1001", email="me@example.com")
    client = tenant_client(alpha.tenant)
    url = f"/unsubscribe/{token(link.user)}/"
    page = client.get(url)  # a mail scanner's prefetch changes nothing
    assert page.status_code == 200 and "Отписаться" in page.content.decode()
    assert subscription(link.user) is None
    client.handler.enforce_csrf_checks = True  # the one-click POST of a mail provider has no CSRF token
    done = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "вы отписаны" in done.content.decode()
    assert subscription(link.user)["reading_reminders"] is False
    assert subscription(link.user)["invoice_notices"] is True
    assert client.post(url).status_code == 200  # twice: still off, no error


def test_a_tampered_or_foreign_token_is_a_404_with_an_explanation(alpha, beta, tenant_client):
    mine = subscriber(alpha, "1001", email="me@example.com")
    theirs = subscriber(beta, "1001", email="them@example.com")
    good = token(mine.user)
    forged = signing.dumps({"u": mine.user_id, "t": alpha.tenant_id, "w": "reading_reminders"}, salt="other")
    bad = [
        "x" + good,
        good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        token(theirs.user),  # beta's user, on alpha's host
        token(theirs.user, tenant_id=alpha.tenant_id),  # beta's user claimed for alpha: not in alpha's scope
        token(mine.user, topic="everything"),
        forged,
    ]
    client = tenant_client(alpha.tenant)
    for value in bad:
        for method in (client.get, client.post):
            response = method(f"/unsubscribe/{value}/")
            assert response.status_code == 404, value
            assert "Ссылка недействительна" in response.content.decode()
    assert subscription(mine.user) is None and subscription(theirs.user) is None
    # alpha's valid token on beta's host is no better
    assert tenant_client(beta.tenant).post(f"/unsubscribe/{good}/").status_code == 404
