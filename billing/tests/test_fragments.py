"""The cached fragments of the consumer's pages (billing/fragments.py): a change of the data
behind a page shows on its next request, and no user, account, access level or tenant ever
gets a fragment rendered for another."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.factories import UserFactory
from billing import fragments
from portal import versions
from billing.factories import EXCHANGE_FILES, SupplierFactory, link, run_import, write_csv, write_exchange_files
from billing.models import Account, Charge
from meters import services as meter_services
from meters.exchange import export_readings
from meters.factories import linked_accounts, make_account
from meters.models import Meter, ReadingWindow
from portal.scoping import scopes_disabled, tenant_scope
from portal.testing import text_of


def queries(client, path):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, path
    return text_of(response), len(captured)


@pytest.fixture
def gas(tenants):
    alpha, beta = tenants
    return alpha, beta, SupplierFactory(tenant=alpha, code="ryazan", name="Газ Рязань")


def signed_in(tenant_client, tenant):
    """A new user of ``tenant`` and a client signed in as them."""
    user = UserFactory(tenant=tenant)
    client = tenant_client(tenant)
    client.force_login(user)
    return user, client


@pytest.fixture
def consumer(gas, tenant_client):
    return signed_in(tenant_client, gas[0])


@pytest.mark.django_db
def test_a_page_comes_from_the_cache_until_an_import_changes_its_data(tenants, tmp_path, tenant_client,
                                                                     django_capture_on_commit_callbacks):
    alpha = tenants[0]
    SupplierFactory(tenant=alpha, code="energo", name="Энергосбыт")
    run_import(alpha, write_exchange_files(tmp_path / "base"))
    with scopes_disabled():
        account = Account.objects.get(number="100200300")
    user = UserFactory(tenant=alpha)
    link(user, account)
    client = tenant_client(alpha)
    client.force_login(user)
    path = f"/personal/{account.pk}/history/?since=&until="  # every month, whatever today is

    client.get("/overview/")  # the session's first request warms other caches (the menu's counter)
    first, rendered = queries(client, path)
    again, cached = queries(client, path)
    october, november = '<th scope="row">10.2026</th>', '<th scope="row">11.2026</th>'
    assert october in first and november not in first and october in again and november not in again
    assert cached == rendered - 2  # neither the charges nor the payments were read

    next_month = EXCHANGE_FILES["charges"].replace("2026-10", "2026-11").replace("INV-10", "INV-11")
    with django_capture_on_commit_callbacks(execute=True):  # the import tells its listeners after commit
        run_import(alpha, write_csv(tmp_path / "next", "charges.csv", next_month))
    page, _count = queries(client, path)
    assert october in page and november in page


@pytest.mark.django_db
def test_a_submitted_reading_and_its_export_show_on_the_meter_page_at_once(gas, consumer, tmp_path):
    alpha, _beta, supplier = gas
    user, client = consumer
    account = make_account(supplier, "23185952", meters=1)
    link(user, account)
    with scopes_disabled():
        meter = Meter.objects.get(account=account)
    path = f"/personal/{account.pk}/meters/{meter.pk}/"
    overview = text_of(client.get("/overview/"))
    assert "100,5" in overview and "передано вами" not in overview
    assert "4321,5" not in text_of(client.get(path)).replace(" ", "")

    with tenant_scope(alpha):
        submission = meter_services.readings_submit(account=account, meter=meter, values={1: "4321,5"}, user=user,
                                                    access="staff")
    assert submission.saved
    page = text_of(client.get(path))
    assert "4321,5" in page.replace(" ", "") and "передано по телефону, принято, войдёт в расчёт за" in page
    assert "4321,5" in text_of(client.get("/overview/")).replace(" ", "")

    with tenant_scope(alpha):
        export_readings(alpha, tmp_path)  # marks it sent to billing
    assert "отправлено в расчётный центр, войдёт в расчёт за" in text_of(client.get(path))


@pytest.mark.django_db
def test_staffs_changes_of_a_supplier_or_a_reading_window_show_at_once(gas, consumer):
    alpha, _beta, supplier = gas
    user, client = consumer
    account = make_account(supplier, "23185952", meters=1)
    link(user, account)
    with scopes_disabled():
        meter = Meter.objects.get(account=account)
    path = f"/personal/{account.pk}/meters/{meter.pk}/"
    assert "Газ Рязань" in text_of(client.get(path))
    supplier.name = "Газпром Рязань"
    supplier.save()
    assert "Газпром Рязань" in text_of(client.get(path))

    today = alpha.today()
    assert meter_services.Window(15, 25, False).on(today).text() in text_of(client.get("/overview/"))
    with scopes_disabled():
        ReadingWindow.objects.create(tenant=alpha, supplier=supplier, first_day=10, last_day=20, strict=True)
    assert meter_services.Window(10, 20, True).on(today).text() in text_of(client.get("/overview/"))


@pytest.mark.django_db
def test_no_one_gets_a_fragment_rendered_for_another_account_access_level_or_tenant(gas, consumer, tenant_client):
    alpha, beta, supplier = gas
    user, client = consumer
    (mine,) = linked_accounts(user, supplier, "23185952")
    neighbours = make_account(supplier, "23185953")
    with scopes_disabled():
        Charge.objects.filter(account=neighbours).update(closing_balance=Decimal("987.65"))
    neighbour, neighbour_client = signed_in(tenant_client, alpha)
    link(neighbour, neighbours)
    # The same account ids at another tenant: the cache's keys name the tenant too.
    _stranger, stranger_client = signed_in(tenant_client, beta)

    pages = ["/overview/", f"/personal/{mine.pk}/invoices/", f"/personal/{mine.pk}/history/"]
    for path in pages:
        assert "23185952" in text_of(client.get(path))  # now cached
    for path in pages[1:]:
        assert neighbour_client.get(path).status_code == 404
        assert stranger_client.get(path).status_code == 404
    neighbours_page = text_of(neighbour_client.get("/overview/"))
    assert "23185953" in neighbours_page and "987,65" in neighbours_page and "23185952" not in neighbours_page
    assert "23185952" not in text_of(stranger_client.get("/overview/"))

    # A family member with a basic link to the same account: not the full block, cached or not.
    relative, relative_client = signed_in(tenant_client, alpha)
    link(relative, mine, access="basic")
    basic = text_of(relative_client.get("/overview/"))
    assert "Доступ по номеру счёта" in basic and "SN-23185952-0" not in basic and "ул. Ленина" not in basic
    assert "Последний платёж" not in basic
    full = text_of(client.get("/overview/"))
    assert "SN-23185952-0" in full and "Последний платёж" in full


@pytest.mark.django_db
def test_the_users_links_come_from_the_cache_and_every_change_of_them_shows_at_once(gas, consumer, tenant_client):
    """The links are the access check of every account page: cached, and exact."""
    from billing.links import link_create
    from billing.models import AccountLink

    alpha, _beta, supplier = gas
    user, client = consumer
    (first,) = linked_accounts(user, supplier, "23185952")
    invoices = f"/personal/{first.pk}/invoices/"
    client.get(invoices)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(invoices).status_code == 200
    assert not [query for query in captured if "billing_accountlink" in query["sql"]]

    # Linked through the service: the header's switch and the new account's pages at once.
    second = make_account(supplier, "23185953")
    with tenant_scope(alpha):
        link_create(user=user, account=second, proof=AccountLink.Proof.PIN)
    assert 'id="account-switch"' in text_of(client.get("/overview/"))
    assert client.get(f"/personal/{second.pk}/invoices/").status_code == 200

    # Staff lower the access in the admin: the full pages send to the control question.
    with scopes_disabled():
        row = AccountLink.objects.get(user=user, account=first)
    row.access, row.proof = AccountLink.Access.BASIC, ""
    row.save()
    response = client.get(invoices)
    assert response.status_code == 302 and "/extended/" in response["Location"]

    # Unlinked (the consumer's own button), and the link deleted by staff: 404 at once.
    assert client.post(f"/personal/{first.pk}/unlink/", {"confirm": "1"}).status_code == 302
    assert client.get(invoices).status_code == 404
    with scopes_disabled():
        AccountLink.objects.filter(user=user).delete()
    assert client.get(f"/personal/{second.pk}/invoices/").status_code == 404
    assert "23185953" not in text_of(client.get("/overview/"))

    # Another member of the family keeps theirs: the version is per user.
    relative, relative_client = signed_in(tenant_client, alpha)
    link(relative, second)
    assert relative_client.get(f"/personal/{second.pk}/invoices/").status_code == 200
    link(user, second)
    assert relative_client.get(f"/personal/{second.pk}/invoices/").status_code == 200
    assert client.get(f"/personal/{second.pk}/invoices/").status_code == 200


@pytest.mark.django_db
def test_the_overview_seen_before_takes_one_round_trip_in_all(gas, consumer, monkeypatch):
    alpha, _beta, supplier = gas
    user, client = consumer
    _first, second = linked_accounts(user, supplier, "11111111", "22222222")
    client.get("/overview/")  # rendered and kept
    asked = []
    get_many = versions.cache.get_many
    monkeypatch.setattr(versions.cache, "get_many", lambda keys: asked.append(keys) or get_many(keys))
    page, count = queries(client, "/overview/")
    assert count == 0
    # The host, the session, the user, their links and the page's body (every account's
    # amount in it) in one round trip: what the last visit read after its first is read ahead.
    assert len(asked) == 1
    assert any(key.startswith("billing:fragment:links:") for key in asked[0])
    assert any(key.startswith("billing:fragment:overview-body:") for key in asked[0])
    assert page.count("К оплате 1 500,00 ₽") >= 2

    with scopes_disabled():
        Charge.objects.filter(account=second).update(closing_balance=Decimal("42"))
    fragments.forget_tenant(alpha.pk)  # what an import does
    page, _count = queries(client, "/overview/")
    assert "К оплате 42,00 ₽" in page


@pytest.mark.django_db
def test_history_shows_the_last_twelve_months_unless_asked_for_more(gas, consumer):
    _alpha, _beta, supplier = gas
    user, client = consumer
    account = make_account(supplier, "23185952", periods=14)
    link(user, account)
    page = text_of(client.get(f"/personal/{account.pk}/history/"))
    assert "Показаны последние 12 мес." in page and "Вся история" in page
    with scopes_disabled():
        periods = sorted(Charge.objects.filter(account=account).values_list("period", flat=True))
    def row(period):
        return f'<th scope="row">{period:%m.%Y}</th>'

    assert row(periods[-1]) in page and row(periods[0]) not in page
    everything = text_of(client.get(f"/personal/{account.pk}/history/", {"since": "", "until": ""}))
    assert all(row(period) in everything for period in periods)
    assert "Показаны последние" not in everything


def test_keys_are_versioned_per_tenant_and_account(db):
    built = []

    def build(value):
        def make():
            built.append(value)
            return value
        return make

    assert fragments.cached("t", tenant_id=1, account_id=5, parts=("a",), build=build("one")) == "one"
    assert fragments.cached("t", tenant_id=1, account_id=5, parts=("a",), build=build("two")) == "one"
    assert fragments.cached("t", tenant_id=2, account_id=5, parts=("a",), build=build("other tenant")) == "other tenant"
    assert fragments.cached("t", tenant_id=1, account_id=6, parts=("a",), build=build("other account")) == (
        "other account")
    fragments.forget_account(6)
    assert fragments.cached("t", tenant_id=1, account_id=5, parts=("a",), build=build("three")) == "one"
    fragments.forget_tenant(1)
    assert fragments.cached("t", tenant_id=1, account_id=5, parts=("a",), build=build("four")) == "four"
    assert fragments.cached("t", tenant_id=2, account_id=5, parts=("a",), build=build("five")) == "other tenant"
    assert built == ["one", "other tenant", "other account", "four"]

    # A user's fragment (their links) is under the user's version as well.
    assert fragments.cached("l", tenant_id=1, account_id=None, user_id=7, parts=(), build=build("links")) == "links"
    assert fragments.cached("l", tenant_id=1, account_id=None, user_id=8, parts=(), build=build("others")) == "others"
    fragments.forget_user(8)
    assert fragments.cached("l", tenant_id=1, account_id=None, user_id=7, parts=(), build=build("x")) == "links"
    fragments.forget_user(7)
    assert fragments.cached("l", tenant_id=1, account_id=None, user_id=7, parts=(), build=build("new")) == "new"


@pytest.mark.parametrize("value", ["0", "1234.5", "-250.5", "1234567.899", "0.005", "-0.004", "999.995",
                                   Decimal("-1500.00"), 12, None])
def test_money_reads_as_floatformat_2g_in_russian(value):
    from django.template.defaultfilters import floatformat
    from django.utils import translation

    from billing.templatetags.money import money

    with translation.override("ru"):
        assert money(value) == (floatformat(value, "2g") if value is not None else "")
