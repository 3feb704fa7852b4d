"""Issue 13 item 2 in Chromium on a 360-px phone: gaz's demo consumer switches notices on
and off in «Мои подписки», then a reading reminder arrives by e-mail and its unsubscribe link
(no login, a fresh browser) switches reminders off after one click on the page's button."""

import email
import re

from playwright.sync_api import expect

from accounts import demo as accounts_demo
from notifications import services
from portal.models import Tenant
from portal.scoping import scopes_disabled, tenant_scope

from .browser import log_in

LOGIN = "consumer@gaz.example"


def fits(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_toggle_subscriptions_at_360_px(portal, phone):
    page = phone
    log_in(page, portal, "gaz", LOGIN, accounts_demo.CONSUMER_PASSWORD)
    page.goto(portal.url("gaz", "/settings/subscriptions/"))
    expect(page.get_by_role("heading", name="Мои подписки")).to_be_visible()
    invoices = page.get_by_label("Сообщать о новом счёте")
    sms = page.get_by_label("По SMS")
    expect(invoices).to_be_checked()
    expect(sms).not_to_be_checked()
    assert fits(page)
    invoices.uncheck()
    sms.check()
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_role("status")).to_contain_text("Подписки сохранены.")
    page.reload()
    expect(page.get_by_label("Сообщать о новом счёте")).not_to_be_checked()
    expect(page.get_by_label("По SMS")).to_be_checked()
    expect(page.get_by_label(re.compile("Напоминать о передаче показаний"))).to_be_checked()
    assert fits(page)


def test_unsubscribe_through_the_e_mail_link_without_logging_in(portal, phone, settings):
    with scopes_disabled():
        gaz = Tenant.objects.get(slug="gaz")
    today = gaz.today().replace(day=15)  # gaz's window opens on the 15th
    with tenant_scope(gaz):
        assert services.reminders_send(tenant=gaz, today=today)["reading_window_opens"] >= 1
    mails = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
             for path in sorted(settings.OUTBOX_DIR.glob("*.eml"))]
    mine = [mail for mail in mails if mail["To"] == LOGIN]
    assert mine
    body = mine[0].get_body().get_content()
    link = re.search(r"Отписаться: (\S+)", body).group(1)
    assert mine[0]["List-Unsubscribe"].strip() == f"<{link}>"

    page = phone
    page.goto(link)
    expect(page.get_by_role("heading", name="Отписка от уведомлений")).to_be_visible()
    assert fits(page)
    page.get_by_role("button", name="Отписаться").click()
    expect(page.get_by_role("main")).to_contain_text("вы отписаны")
    with tenant_scope(gaz):
        subscription = services.subscription_ensure(gaz_user(gaz))
    assert not subscription.reading_reminders and subscription.invoice_notices

    log_in(page, portal, "gaz", LOGIN, accounts_demo.CONSUMER_PASSWORD)
    page.goto(portal.url("gaz", "/settings/subscriptions/"))
    expect(page.get_by_label(re.compile("Напоминать о передаче показаний"))).not_to_be_checked()


def gaz_user(tenant):
    from accounts.models import User

    return User.objects.get(username=LOGIN)
