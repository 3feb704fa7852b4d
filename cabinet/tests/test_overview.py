"""The consumer's cabinet: the overview of the current account (what is owed, meters, the
last payment, what a basic link may see), the summary of several accounts, guide 000's
contracts, and what the routine's pages cost in queries."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing import fragments
from billing.factories import link
from billing.models import Account, AccountLink, Charge
from meters.factories import make_account
from portal.scoping import scopes_disabled
from portal.testing import text_of


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
def test_a_basic_link_does_not_show_the_answers_to_the_control_question(gas, consumer):
    """Anyone can link an account by its number (basic access). The overview of a basic
    link must not show what the control question asks: the meter's serial number, or the
    last period's charge (its sum in kopecks)."""
    alpha, _beta, supplier = gas
    alpha.policy.extended_access = True
    alpha.policy.question_meter_serial = alpha.policy.question_last_charge = True
    alpha.policy.save()
    user, client = consumer
    account = make_account(supplier, "23185952")
    the_link = link(user, account, access="basic")
    page = text_of(client.get("/overview/"))
    # Asking the last charge, the policy hides every amount from a basic link (the amount to
    # pay is that charge for someone who pays in full).
    assert "1 500,00" not in page and "Суммы видны после подтверждения" in page
    assert "SN-23185952-0" not in page
    assert "1 234,56" not in page  # «Начислено» of the last period: the last_charge answer

    # The attack end to end: whatever the page shows about the meter does not open the account.
    for serial in re.findall(r"№ ([\w-]+)", page):
        client.post(f"/personal/{account.pk}/extended/", {"question": "meter_serial", "answer": serial})
    the_link.refresh_from_db()
    assert the_link.access == "basic"


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
    assert client.post(f"/personal/{later.pk}/unlink/", {"confirm": "1"}).status_code == 302
    assert "33333333" in text_of(client.get("/overview/"))
    with scopes_disabled():
        assert AccountLink.objects.filter(user=user).count() == 2


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
