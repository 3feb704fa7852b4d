"""Invoice notices: who hears of a new invoice, what they are told, and once."""

import datetime
from decimal import Decimal

import pytest

from billing.models import Invoice
from notifications import services
from notifications.factories import create, subscriber
from notifications.models import InvoiceWatermark, Subscription
from portal.models import OutgoingMessage
from portal.scoping import scopes_disabled, tenant_scope

pytestmark = pytest.mark.django_db


def invoice(link, period, total="1234.50"):
    return create(Invoice, link.tenant, account=link.account, period=period, number=f"INV-{period:%m%y}",
                  total=Decimal(total), due_on=period.replace(day=25))


def run(supplier):
    with tenant_scope(supplier.tenant):
        return services.invoices_notify(tenant=supplier.tenant)


def bodies(django_capture_on_commit_callbacks, supplier):
    from portal.messaging import read_outbox

    with django_capture_on_commit_callbacks(execute=True):
        sent = run(supplier)
    return sent, {entry.to: entry.text for entry in read_outbox()}


def this_month(supplier):
    return supplier.tenant.today().replace(day=1)


def test_full_access_hears_the_amount_basic_access_only_that_there_is_an_invoice(
        alpha, django_capture_on_commit_callbacks):
    full = subscriber(alpha, "1001", email="full@example.com")
    basic = subscriber(alpha, "1002", email="basic@example.com", access="basic")
    invoice(full, this_month(alpha))
    invoice(basic, this_month(alpha), total="777.77")
    sent, texts = bodies(django_capture_on_commit_callbacks, alpha)
    assert sent == 2
    assert "к оплате 1 234,50 руб." in texts["full@example.com"].replace("\xa0", " ")
    assert "/invoices/" in texts["full@example.com"]
    assert "777" not in texts["basic@example.com"] and "выставлен счёт" in texts["basic@example.com"]


def test_a_second_run_sends_nothing_and_a_later_invoice_is_news_again(alpha):
    link = subscriber(alpha, "1001", email="full@example.com")
    invoice(link, this_month(alpha) - datetime.timedelta(days=1))
    assert run(alpha) == 1
    assert run(alpha) == 0
    invoice(link, this_month(alpha))
    assert run(alpha) == 1
    with scopes_disabled():
        assert OutgoingMessage.objects.count() == 2
        assert InvoiceWatermark.objects.get().last_invoice_id == Invoice.objects.order_by("-pk").first().pk


def test_old_periods_are_not_news_and_the_watermark_passes_them(alpha):
    link = subscriber(alpha, "1001", email="full@example.com")
    invoice(link, datetime.date(2020, 1, 1))
    assert run(alpha) == 0


def test_unsubscribed_users_and_other_tenants_hear_nothing(alpha, beta):
    off = subscriber(alpha, "1001", email="off@example.com")
    other = subscriber(beta, "1001", email="beta@example.com")
    with tenant_scope(alpha.tenant):
        Subscription.objects.create(tenant=alpha.tenant, user=off.user, invoice_notices=False)
    invoice(off, this_month(alpha))
    invoice(other, this_month(beta))
    assert run(alpha) == 0
    with scopes_disabled():
        assert not OutgoingMessage.objects.exists()
    assert run(beta) == 1
