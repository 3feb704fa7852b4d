"""The consumer's account pages: linking, the control question, the overview, invoices,
history; each page reached only through the user's own link."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.factories import UserFactory
from billing import fragments, pins
from billing.factories import AccountLinkFactory, SupplierFactory
from billing.models import Account, AccountLink, BillingPayment, Charge, Invoice, PinRequest
from meters.models import Meter, Reading
from portal.scoping import scopes_disabled

TODAY = datetime.date(2026, 11, 24)


def make_account(supplier, number, *, periods=2, meters=1, pin="4821"):
    tenant = supplier.tenant
    with scopes_disabled():
        account = Account.objects.create(
            tenant=tenant, supplier=supplier, number=number, subscriber_type="individual",
            holder_name="Иванов Иван", address="г. Рязань, ул. Ленина, 1",
            pin_hash=pins.pin_hash(tenant.pk, supplier.code, number, pin),
        )
        for index in range(meters):
            meter = Meter.objects.create(tenant=tenant, account=account, serial=f"SN-{number}-{index}", service="gas",
                                         digits=5, decimals=3, verified_until=TODAY + datetime.timedelta(days=30))
            Reading.objects.create(tenant=tenant, meter=meter, value=Decimal("100.5"), taken_on=TODAY, source="estimated")
        for month in range(periods):
            period = datetime.date(2026 - (month + 1) // 12, (11 - month - 1) % 12 + 1, 1)
            Charge.objects.create(tenant=tenant, account=account, period=period, service="gas", charged=Decimal("1234.56"),
                                  closing_balance=Decimal("1500.00") if month == 0 else Decimal("10"),
                                  due_on=period + datetime.timedelta(days=55))
            Invoice.objects.create(tenant=tenant, account=account, period=period, number=f"I-{number}-{month}",
                                   total=Decimal("1500.00"))
        BillingPayment.objects.create(tenant=tenant, account=account, paid_at=timezone.now(), amount=Decimal("700"))
    return account


def text_of(response):
    # Russian number formatting groups thousands with a no-break space.
    return response.content.decode().replace("\xa0", " ")


def link(user, account, access="full"):
    with scopes_disabled():
        return AccountLinkFactory(user=user, account=account, access=access)


def linked_accounts(user, supplier, *numbers):
    """Accounts of ``supplier`` numbered ``numbers``, each linked to ``user`` with full access."""
    accounts = [make_account(supplier, number) for number in numbers]
    for account in accounts:
        link(user, account)
    return accounts


@pytest.fixture
def gas(tenants):
    alpha, beta = tenants
    supplier = SupplierFactory(tenant=alpha, code="ryazan", name="Газ Рязань", account_number_separators=" -",
                               account_number_strip_leading_zeros=True, account_number_pattern=r"[1-9]\d{7}",
                               account_number_hint="8 цифр")
    return alpha, beta, supplier


@pytest.fixture
def consumer(gas, tenant_client):
    alpha, _beta, _supplier = gas
    user = UserFactory(tenant=alpha)
    client = tenant_client(alpha)
    client.force_login(user)
    return user, client


@pytest.mark.django_db
def test_overview_shows_what_is_owed_per_service_meters_and_the_last_payment(gas, consumer):
    _alpha, _beta, supplier = gas
    user, client = consumer
    link(user, make_account(supplier, "23185952"))
    page = text_of(client.get("/overview/"))
    assert "23185952" in page and "К оплате" in page and "1 500,00" in page
    assert "Газ" in page or "газ" in page
    assert "расчётное, не по счётчику" in page  # an estimate never looks like the consumer's reading
    assert "Поверка до" in page  # expires within 60 days
    assert "Последний платёж: 700,00" in page


@pytest.mark.django_db
def test_an_overpayment_is_shown_as_such(gas, consumer):
    _alpha, _beta, supplier = gas
    user, client = consumer
    account = make_account(supplier, "23185952", periods=1)
    with scopes_disabled():
        Charge.objects.filter(account=account).update(closing_balance=Decimal("-250.50"))
    link(user, account)
    page = text_of(client.get("/overview/"))
    assert "Переплата" in page and "250,50" in page and "-250" not in page


@pytest.mark.django_db
def test_linking_normalises_the_number_as_printed_and_refuses_clearly(gas, consumer):
    alpha, _beta, supplier = gas
    user, client = consumer
    make_account(supplier, "23185952")
    response = client.post("/personal/link/", {"supplier": supplier.pk, "number": "99999999"})
    assert "не найден" in response.content.decode()
    response = client.post("/personal/link/", {"supplier": supplier.pk, "number": "12"})
    assert "8 цифр" in response.content.decode()
    response = client.post("/personal/link/", {"supplier": supplier.pk, "number": "023-185952"})
    assert response.status_code == 302
    with scopes_disabled():
        assert AccountLink.objects.get(user=user).account.number == "23185952"
    response = client.post("/personal/link/", {"supplier": supplier.pk, "number": "23185952"})
    assert "уже подключён" in response.content.decode()


@pytest.mark.django_db
def test_a_family_shares_an_account_and_each_unlinks_only_their_own(gas, consumer, tenant_client):
    alpha, _beta, supplier = gas
    user, client = consumer
    account = make_account(supplier, "23185952")
    spouse = UserFactory(tenant=alpha)
    link(user, account)
    link(spouse, account)
    assert client.post(f"/personal/{account.pk}/unlink/").status_code == 302
    with scopes_disabled():
        assert list(AccountLink.objects.values_list("user_id", flat=True)) == [spouse.pk]


@pytest.mark.django_db
def test_a_basic_link_shows_balance_and_meters_but_masks_the_rest(gas, consumer):
    alpha, _beta, supplier = gas
    alpha.policy.extended_access = True
    alpha.policy.question_pin = True
    alpha.policy.save()
    user, client = consumer
    account = make_account(supplier, "23185952")
    link(user, account, access="basic")
    page = text_of(client.get("/overview/"))
    assert "1 500,00" in page and "Газ" in page  # the balance and the meters, not their serials
    assert "Ленина" not in page and "Иванов" not in page and "Последний платёж" not in page
    for path in (f"/personal/{account.pk}/invoices/", f"/personal/{account.pk}/history/"):
        assert client.get(path).url == f"/personal/{account.pk}/extended/"


@pytest.mark.django_db
def test_wrong_answers_stop_the_guesser_and_not_the_holder(gas, consumer, tenant_client):
    """Five wrong answers a day stop a user; the account has only a ceiling far above that
    (billing.links), so a stranger's guesses never lock the holder out."""
    alpha, _beta, supplier = gas
    alpha.policy.extended_access = True
    alpha.policy.question_pin = True
    alpha.policy.question_meter_serial = True
    alpha.policy.save()
    user, client = consumer
    account = make_account(supplier, "23185952")
    the_link = link(user, account, access="basic")
    url = f"/personal/{account.pk}/extended/"
    for guess in range(5):
        response = client.post(url, {"question": "pin", "answer": f"000{guess}"})
        assert "Ответ неверный" in response.content.decode()
    # The sixth guess is refused even when right.
    response = client.post(url, {"question": "pin", "answer": "4821"})
    assert "Слишком много неверных ответов" in response.content.decode()
    the_link.refresh_from_db()
    assert the_link.access == "basic"

    # The holder, from their own phone, answers right at once.
    holder = UserFactory(tenant=alpha)
    holders_link = link(holder, account, access="basic")
    holder_client = tenant_client(alpha, REMOTE_ADDR="198.51.100.7")
    holder_client.force_login(holder)
    response = holder_client.post(url, {"question": "meter_serial", "answer": "SN-23185952-0"})
    assert response.status_code == 302
    holders_link.refresh_from_db()
    assert (holders_link.access, holders_link.proof) == ("full", "meter_serial")


@pytest.mark.django_db
def test_a_right_answer_and_a_pin_request(gas, consumer):
    alpha, _beta, supplier = gas
    alpha.policy.extended_access = True
    alpha.policy.question_meter_serial = True
    alpha.policy.save()
    user, client = consumer
    account = make_account(supplier, "23185952")
    the_link = link(user, account, access="basic")
    url = f"/personal/{account.pk}/extended/"
    client.post(url, {"request_pin": "1"})
    client.post(url, {"request_pin": "1"})
    with scopes_disabled():
        assert PinRequest.objects.filter(user=user, account=account).count() == 1
    response = client.post(url, {"question": "meter_serial", "answer": "sn-23185952-0 "})
    assert response.status_code == 302
    the_link.refresh_from_db()
    assert the_link.access == "full"


@pytest.mark.django_db
def test_invoices_list_six_periods_then_all(gas, consumer):
    _alpha, _beta, supplier = gas
    user, client = consumer
    account = make_account(supplier, "23185952", periods=8)
    link(user, account)
    page = client.get(f"/personal/{account.pk}/invoices/").content.decode()
    assert page.count("I-23185952-") == 6 and "Все периоды" in page
    assert client.get(f"/personal/{account.pk}/invoices/?all=1").content.decode().count("I-23185952-") == 8


@pytest.mark.django_db
def test_history_filters_totals_and_csv(gas, consumer):
    _alpha, _beta, supplier = gas
    user, client = consumer
    account = make_account(supplier, "23185952", periods=3)
    link(user, account)
    page = text_of(client.get(f"/personal/{account.pk}/history/", {"since": "2026-09", "until": "2026-10"}))
    assert "10.2026" in page and "09.2026" in page and "08.2026" not in page
    assert "2 469,12" in page  # two periods' charges
    response = client.get(f"/personal/{account.pk}/history/", {"format": "csv", "service": "gas"})
    assert response["Content-Disposition"].startswith("attachment;")
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Период;Услуга") and text.count("2026-") >= 3


@pytest.mark.django_db
def test_switching_accounts_keeps_the_choice_and_ignores_foreign_ids(gas, consumer, tenant_client):
    alpha, beta, supplier = gas
    user, client = consumer
    first, second = linked_accounts(user, supplier, "23185952", "23185953")
    assert "Лицевой счёт № 23185952" in text_of(client.get("/overview/"))
    # The switch is in the header of every page, and returns to the same page of the new account.
    page = text_of(client.get(f"/personal/{first.pk}/history/"))
    assert 'id="account-switch"' in page and f'<option value="{second.pk}">23185953' in page
    response = client.post("/personal/select/", {"account": second.pk, "next": f"/personal/{first.pk}/history/"})
    assert response.url == f"/personal/{second.pk}/history/"
    assert "Лицевой счёт № 23185953" in client.get("/overview/").content.decode()
    response = client.post("/personal/select/", {"account": first.pk, "next": "https://evil.example/"})
    assert response.url == "/overview/"
    client.post("/personal/select/", {"account": second.pk})
    stranger_account = make_account(supplier, "23185954")
    assert client.post("/personal/select/", {"account": stranger_account.pk}).status_code == 404
    assert client.post("/personal/select/", {"account": "x"}).status_code == 404
    assert "Лицевой счёт № 23185953" in client.get("/overview/").content.decode()


ACCOUNT_PAGES = [
    ("get", "/personal/{id}/invoices/"), ("get", "/personal/{id}/history/"), ("get", "/personal/{id}/extended/"),
    ("post", "/personal/{id}/unlink/"), ("post", "/personal/select/"),
]


@pytest.mark.django_db
def test_every_account_page_answers_404_alike_for_foreign_and_missing_accounts(gas, consumer, tenant_client):
    alpha, beta, supplier = gas
    user, client = consumer
    neighbour = UserFactory(tenant=alpha)
    neighbours = make_account(supplier, "23185952")
    link(neighbour, neighbours)
    other_tenant = make_account(SupplierFactory(tenant=beta, code="ryazan"), "23185952")
    other_user = UserFactory(tenant=beta)
    link(other_user, other_tenant)
    for method, template in ACCOUNT_PAGES:
        for account_id in (neighbours.pk, other_tenant.pk, 999999, "abc"):
            path = template.format(id=account_id)
            response = getattr(client, method)(path, {"account": account_id} if method == "post" else None)
            assert response.status_code == 404, (path, account_id)
        anonymous = tenant_client(alpha)
        response = getattr(anonymous, method)(template.format(id=neighbours.pk))
        assert response.status_code == 302 and "/accounts/login/" in response.url
    with scopes_disabled():
        assert AccountLink.objects.count() == 2


def count_queries(client, path):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_query_counts_do_not_grow_with_periods_meters_or_accounts(gas, consumer):
    alpha, _beta, supplier = gas
    user, client = consumer
    small = make_account(supplier, "23185952", periods=1, meters=1)
    link(user, small)
    link(user, make_account(supplier, "23185953", periods=1, meters=1))
    client.post("/personal/select/", {"account": small.pk})
    pages = ["/overview/", "/personal/{id}/invoices/", "/personal/{id}/history/"]
    client.get("/overview/")  # the menu's counter of unread answers comes from the cache after this

    def counts(account):
        """Each page's queries rendered afresh (its fragments stale) and then from the cache."""
        fragments.forget_tenant(alpha.pk)
        cold = [count_queries(client, path.format(id=account.pk)) for path in pages]
        return cold, [count_queries(client, path.format(id=account.pk)) for path in pages]

    before = counts(small)
    big = make_account(supplier, "23185954", periods=12, meters=3)
    link(user, big)
    link(user, make_account(supplier, "23185955", periods=12, meters=3))
    client.post("/personal/select/", {"account": big.pk})
    assert counts(big) == before
    # From the cache no page asks the database: the session's user and their links come from
    # the cache too (accounts.backends, billing.access), and these GETs run outside a
    # transaction (no savepoints; portal.transactions). Rendered afresh (the tenant's version
    # replaced, which the links are kept under too: the first page reads them again), the
    # overview of several accounts reads the account's charges, meters, their last readings,
    # the last payment, the reading window, the payments awaiting billing and the summary's
    # totals: 7 more.
    cold, warm = before
    assert warm == [0, 0, 0]
    assert cold == [8, 1, 2]


@pytest.mark.django_db
def test_a_legal_entitys_accounts_come_with_its_registration(gas, consumer):
    """Guide 000: every contract of the counterparty's INN, imported before or after the
    registration, shows its account; another counterparty's do not."""
    from billing.models import Contract, Counterparty
    from portal.exchange.signals import billing_data_changed

    alpha, _beta, supplier = gas
    alpha.policy.account_linking = "by_registration"
    alpha.policy.save()
    user, client = consumer
    with scopes_disabled():
        mine = Counterparty.objects.create(tenant=alpha, inn="6229001125", name="ООО «Хлеб»", account=user)
        theirs = Counterparty.objects.create(tenant=alpha, inn="6234005679", name="ООО «Склад»")
        for counterparty, number in ((mine, "1001"), (mine, "1002"), (theirs, "2001")):
            Contract.objects.create(tenant=alpha, supplier=supplier, counterparty=counterparty, number=number)
    accounts = {}
    for number, contract in (("11111111", "1001"), ("22222222", "2001")):
        accounts[contract] = make_account(supplier, number)
        with scopes_disabled():
            Account.objects.filter(pk=accounts[contract].pk).update(contract_number=contract)
    page = text_of(client.get("/overview/"))
    assert "11111111" in page and "22222222" not in page and "Подключить лицевой счёт" not in page

    later = make_account(supplier, "33333333")  # imported after the registration
    with scopes_disabled():
        Account.objects.filter(pk=later.pk).update(contract_number="1002")
    # The session synced the links for the tenant's data as it was: only an import (its
    # signal) makes the overview look again.
    assert "33333333" not in text_of(client.get("/overview/"))
    billing_data_changed.send(sender=None, tenant=alpha, kinds={"accounts"})
    assert "33333333" in text_of(client.get("/overview/"))
    with scopes_disabled():
        assert set(AccountLink.objects.filter(user=user).values_list("access", flat=True)) == {"full"}
        assert AccountLink.objects.filter(user=user).count() == 2
    # A contract's account unlinked comes back at the next overview, as it always did.
    assert client.post(f"/personal/{later.pk}/unlink/").status_code == 302
    assert "33333333" in text_of(client.get("/overview/"))
    with scopes_disabled():
        assert AccountLink.objects.filter(user=user).count() == 2


@pytest.mark.django_db
def test_the_wizard_of_guide_003_type_details_confirm_save(gas, consumer):
    alpha, _beta, supplier = gas
    alpha.policy.account_linking = "wizard"
    alpha.policy.save()
    user, client = consumer
    account = make_account(supplier, "23185952")
    assert client.post("/personal/link/", {"subscriber_type": "individual"}).url == "/personal/link/?step=details"
    details = "/personal/link/?step=details"
    page = text_of(client.get(details))
    assert "Фамилия владельца" in page and "ИНН" not in page
    response = client.post(details, {"supplier": supplier.pk, "number": "23185952", "surname": "Петров"})
    assert "Данные не совпадают" in text_of(response)
    response = client.post(details, {"supplier": supplier.pk, "number": "023-185952", "surname": "иванов"})
    assert response.url == "/personal/link/?step=confirm"
    assert "23185952" in text_of(client.get("/personal/link/?step=confirm"))
    with scopes_disabled():
        assert not AccountLink.objects.exists()  # nothing saved before «Сохранить»
    assert client.post("/personal/link/?step=confirm").status_code == 302
    with scopes_disabled():
        assert AccountLink.objects.get().account == account


@pytest.mark.django_db
def test_the_wizard_stops_guessing_holders_after_ten_wrong_answers(gas, consumer):
    alpha, _beta, supplier = gas
    alpha.policy.account_linking = "wizard"
    alpha.policy.save()
    _user, client = consumer
    make_account(supplier, "23185952")
    client.post("/personal/link/", {"subscriber_type": "individual"})
    details = "/personal/link/?step=details"
    for guess in range(10):
        client.post(details, {"supplier": supplier.pk, "number": "23185952", "surname": f"Сидоров{guess}"})
    response = client.post(details, {"supplier": supplier.pk, "number": "23185952", "surname": "Иванов"})
    assert "Слишком много неудачных попыток" in text_of(response)


@pytest.mark.django_db
def test_the_wizard_proves_a_business_by_its_contracts_inn(gas, consumer):
    from billing.models import Contract, Counterparty

    alpha, _beta, supplier = gas
    alpha.policy.account_linking = "wizard"
    alpha.policy.save()
    _user, client = consumer
    account = make_account(supplier, "23185952")
    with scopes_disabled():
        counterparty = Counterparty.objects.create(tenant=alpha, inn="6229001125", name="ООО «Хлеб»")
        Contract.objects.create(tenant=alpha, supplier=supplier, counterparty=counterparty, number="1001")
        Account.objects.filter(pk=account.pk).update(subscriber_type="legal", contract_number="1001")
    client.post("/personal/link/", {"subscriber_type": "legal"})
    details = "/personal/link/?step=details"
    assert "Фамилия" not in text_of(client.get(details))
    wrong = client.post(details, {"supplier": supplier.pk, "number": "23185952", "inn": "6234005679"})
    assert "Данные не совпадают" in text_of(wrong)
    right = client.post(details, {"supplier": supplier.pk, "number": "23185952", "inn": "6229001125"})
    assert right.url == "/personal/link/?step=confirm"


@pytest.mark.django_db
def test_the_summary_gives_each_accounts_last_period_in_one_query(gas, consumer):
    from billing import selectors

    _alpha, _beta, supplier = gas
    user, _client = consumer
    owing, overpaid, empty = (make_account(supplier, number, periods=periods)
                              for number, periods in (("23185952", 3), ("23185953", 1), ("23185954", 0)))
    with scopes_disabled():
        Charge.objects.filter(account=overpaid).update(closing_balance=Decimal("-40"))
        links = [link(user, account) for account in (owing, overpaid, empty)]
        with CaptureQueriesContext(connection) as queries:
            totals = selectors.last_period_totals([item.account_id for item in links])
    assert len(queries) == 1
    assert [totals.get(item.account_id) for item in links] == [Decimal("1500.00"), Decimal("-40.00"), None]


@pytest.mark.django_db
def test_where_the_last_charge_is_a_control_answer_a_basic_link_sees_no_amount(gas, consumer):
    """For someone who pays in full the amount to pay is the last charge: showing it to a
    basic link would hand over the answer (guide 004 asks both)."""
    alpha, _beta, supplier = gas
    alpha.policy.extended_access = True
    alpha.policy.question_last_charge = True
    alpha.policy.save()
    user, client = consumer
    basic, full = make_account(supplier, "23185952"), make_account(supplier, "23185953")
    with scopes_disabled():
        Charge.objects.filter(account=full).update(closing_balance=Decimal("777"))
    link(user, basic, access="basic")
    link(user, full)
    page = text_of(client.get("/overview/"))
    assert "Лицевой счёт № 23185952" in page and "К оплате" in page
    assert "1 500,00" not in page and "1 234,56" not in page and "Суммы видны после подтверждения" in page
    assert "суммы — после подтверждения" in page and "777,00" in page  # the summary: only the full one's
    client.post("/personal/select/", {"account": full.pk})
    assert "777,00" in text_of(client.get("/overview/"))


@pytest.mark.django_db
def test_linking_by_number_stops_after_twenty_unknown_numbers_a_day(gas, consumer):
    _alpha, _beta, supplier = gas
    _user, client = consumer
    make_account(supplier, "23185952")
    for number in range(20):
        response = client.post("/personal/link/", {"supplier": supplier.pk, "number": f"9{number:07d}"})
        assert "не найден" in text_of(response)
    response = client.post("/personal/link/", {"supplier": supplier.pk, "number": "23185952"})
    assert "Слишком много попыток" in text_of(response)
