"""An account's page in the admin on a busy day (issue 24, item 8): the balance, the last
payment, the meters with their last readings and who is linked at what level, read-only, in a
number of queries that does not grow with the meters or the links; staff of another tenant
find nothing of it."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.factories import UserFactory, staff_user
from billing.factories import SupplierFactory, link
from billing.models import BillingPayment
from meters.factories import make_account
from meters.models import Meter, Reading
from portal.scoping import scopes_disabled

pytestmark = pytest.mark.django_db


def text(page):
    """The page's text without tags, spaces folded."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.content.decode().replace("\xa0", " ")))


@pytest.fixture
def account_page(tenants, tenant_client, admin_login):
    alpha, beta = tenants
    supplier = SupplierFactory(tenant=alpha, code="gas")
    account = make_account(supplier, "5001", meters=2)
    holder = UserFactory(tenant=alpha, email="holder@alpha.example", first_name="Ирина", last_name="Котова")
    neighbour = UserFactory(tenant=alpha, email="", phone="+79005556677", username="+79005556677")
    link(holder, account, access="full")
    link(neighbour, account, access="basic")
    with scopes_disabled():
        BillingPayment.objects.filter(account=account).delete()  # make_account's, paid just now
        BillingPayment.objects.create(tenant=alpha, account=account, amount=Decimal("2345.60"), channel="Сбербанк",
                                      paid_at=datetime.datetime(2026, 11, 20, 21, 30, tzinfo=datetime.UTC))
        meter = Meter.objects.filter(account=account).order_by("serial").first()
        Reading.objects.create(tenant=alpha, meter=meter, value=Decimal("1234.5"), taken_on=timezone.localdate()
                               + datetime.timedelta(days=1), source="amr")
    clients = {}
    for tenant in tenants:
        clients[tenant.slug] = tenant_client(tenant)
        admin_login(clients[tenant.slug], staff_user(tenant, group="staff"))
    return account, clients, reverse("admin:billing_account_change", args=[account.pk])


def test_the_page_shows_balance_last_payment_meters_and_links(account_page):
    account, clients, url = account_page
    shown = text(clients["alpha"].get(url))
    assert "Сальдо: за ноябрь 2026" in shown and "долг 1 500,00 ₽" in shown and "итого к оплате: 1 500,00 ₽" in shown
    # In the tenant's zone (Europe/Moscow): 21:30 UTC is past midnight there.
    assert "Последний платёж: 2 345,60 ₽, 21.11.2026 00:30 (Сбербанк)" in shown
    assert "1 234,500 на" in shown and "100,500 на" in shown  # each meter's last reading
    assert "Котова" in shown and "holder@alpha.example" in shown and "+79005556677" in shown
    assert "полный" in shown and "базовый" in shown


@pytest.mark.parametrize("meters, links", [(1, 1), (4, 6)])
def test_the_page_costs_the_same_queries_however_many_meters_and_links(tenants, tenant_client, admin_login,
                                                                          django_assert_num_queries, meters, links):
    alpha = tenants[0]
    supplier = SupplierFactory(tenant=alpha, code="gas")
    account = make_account(supplier, "5002", meters=meters)
    for index in range(links):
        link(UserFactory(tenant=alpha), account, access="full" if index % 2 else "basic")
    client = tenant_client(alpha)
    admin_login(client, staff_user(alpha, group="staff"))
    with django_assert_num_queries(QUERIES):
        assert client.get(reverse("admin:billing_account_change", args=[account.pk])).status_code == 200


# Measured: the session's tenant, user and TOTP device, permissions, the account, the PIN's
# wrong answers, the balance (1), the last payment (1), the meters with their last readings (1),
# the links with their users (1), the menu's and history's checks.
QUERIES = 17


def test_staff_of_another_tenant_find_nothing_of_it(account_page):
    account, clients, url = account_page
    assert clients["beta"].get(url).status_code in (302, 404)
    found = clients["beta"].get(reverse("admin:billing_account_changelist"), {"q": "5001"})
    assert "5001" not in text(found)
