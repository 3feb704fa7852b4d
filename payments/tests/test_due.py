"""Money never paid twice by accident (issue 24, item 3): what was paid in the portal and not
yet posted by billing is taken off «К оплате» on the home and the pay page, whoever paid it
(the debt is the account's); a debt paid already is not preselected and paying it again asks
once more, on the server; a payment that can no longer succeed says «не оплачен», one whose
result is unknown says what happens next."""

import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.factories import UserFactory
from billing import fragments
from billing.factories import link
from billing.models import BillingPayment
from meters.factories import make_account
from payments import selectors
from payments.factories import make_shop, paid_here, pay_through, payment_of, start
from payments.models import Payment
from portal.scoping import scopes_disabled
from portal.testing import text_of


def due_of(account):
    with scopes_disabled():
        return selectors.amount_due(account, billed=Decimal("1500.00"), tenant=account.tenant)


@pytest.mark.django_db
def test_the_amount_due_is_billings_less_what_was_paid_here_and_not_yet_posted(payer):
    user, _client, account, _shop = payer
    assert (due_of(account).state, due_of(account).to_pay) == ("owed", Decimal("1500.00"))
    # Neither a payment still at the provider nor one refused takes anything off.
    paid_here(account, user=user, amount="1500", status="pending")
    paid_here(account, user=user, amount="1500", status="canceled")
    assert due_of(account).to_pay == Decimal("1500.00")

    part = paid_here(account, user=user, amount="500")
    due = due_of(account)
    assert (due.state, due.to_pay, due.paid, due.paid_on) == ("owed", Decimal("1000.00"), Decimal("500"),
                                                             account.tenant.today())
    # Another person's payment on the same account counts too: the debt is the account's.
    paid_here(account, user=UserFactory(tenant=account.tenant), amount="1000")
    due = due_of(account)
    assert (due.state, due.to_pay, due.covered) == ("covered", Decimal("0"), True)

    # Once billing posts a payment (its external id is the provider's), billing's amount has it.
    with scopes_disabled():
        BillingPayment.objects.create(tenant=account.tenant, account=account, paid_at=timezone.now(),
                                      amount=part.amount, external_id=part.provider_payment_id)
    assert (due_of(account).paid, due_of(account).state) == (Decimal("1000"), "owed")
    # Nothing owed or overpaid stays so; a payment billing never reported stops counting after 45 days.
    with scopes_disabled():
        assert selectors.amount_due(account, billed=Decimal("-10"), tenant=account.tenant).state == "overpaid"
        assert selectors.amount_due(account, billed=None, tenant=account.tenant).to_pay is None
        Payment.objects.filter(status="succeeded").update(succeeded_at=timezone.now() - timedelta(days=46))
    assert due_of(account).paid == 0


@pytest.mark.django_db
def test_a_paid_debt_is_shown_as_paid_not_preselected_and_paying_it_again_asks_once_more(payer):
    user, client, account, _shop = payer
    neighbour = UserFactory(tenant=account.tenant)
    link(neighbour, account)
    paid_here(account, user=neighbour, amount="1500")  # the other holder paid it
    today = account.tenant.today()

    home = text_of(client.get("/overview/"))
    assert f"Оплачено 1 500,00 ₽ {today:%d.%m}, ожидает учёта" in home
    assert "К оплате 0 ₽" in home and "По квитанции 1 500,00 ₽" in home
    assert "Оплатить 1 500,00 ₽" not in home  # no one-tap payment of a paid debt

    page = client.get(f"/personal/{account.pk}/pay/").content.decode()
    debt = re.search(r'<input[^>]*value="debt"[^>]*>', page).group(0)
    assert "checked" not in debt
    shown = text_of(client.get(f"/personal/{account.pk}/pay/"))
    assert "уже оплачена, ожидает учёта" in shown and f"Оплачено 1 500,00 ₽ {today:%d.%m}, ожидает учёта" in shown

    asked, token = start(client, account, kind="debt")
    assert asked.status_code == 200
    assert "Задолженность уже оплачена" in text_of(asked) and "Да, оплатить ещё раз 1 500,00 ₽" in text_of(asked)
    with scopes_disabled():
        assert not Payment.objects.filter(public_id=token).exists()
    confirmed, token = start(client, account, kind="debt", again=True)
    assert confirmed.status_code == 302
    assert (payment_of(token).amount, payment_of(token).kind) == (Decimal("1500.00"), "debt")
    # Another amount is never a second payment of the debt: no question.
    other, _token = start(client, account, kind="amount", amount="100")
    assert other.status_code == 302


@pytest.mark.django_db
def test_a_partly_paid_debt_offers_the_rest(payer):
    user, client, account, _shop = payer
    paid_here(account, user=user, amount="400")
    home = text_of(client.get("/overview/"))
    assert "Оплатить 1 100,00 ₽" in home and "по квитанции 1 500,00 ₽" in home
    page = client.get(f"/personal/{account.pk}/pay/").content.decode()
    assert re.search(r'<input[^>]*value="debt"[^>]*checked', page)
    assert "Задолженность 1 100,00 ₽" in text_of(client.get(f"/personal/{account.pk}/pay/"))
    _response, token = start(client, account, kind="debt")
    assert payment_of(token).amount == Decimal("1100.00")


@pytest.mark.django_db
def test_a_basic_link_sees_the_account_amount_due_only_as_its_need_allows(gas, consumer):
    """The stranger-by-number rules hold (billing.access): a basic link that may pay sees the
    amount due with everyone's payments taken off (or it would pay the debt twice), but not
    who paid, how much or when; one that sees only the status sees no amount at all."""
    alpha, _beta, supplier = gas
    user, client = consumer
    account = make_account(supplier, "23185961")
    make_shop(supplier)
    link(user, account, access="basic")
    holder = UserFactory(tenant=alpha, email="holder@example.com")
    link(holder, account)
    paid_here(account, user=holder, amount="1500")

    alpha.policy.basic_access = "pay"
    alpha.policy.save()
    home = text_of(client.get("/overview/"))
    assert "Задолженность оплачена, ожидает учёта" in home and "К оплате 0 ₽" in home
    paid_on = timezone.localdate().strftime("%d.%m")
    assert "holder" not in home and "Оплачено" not in home and paid_on not in home  # not how much, nor when
    pay_page = text_of(client.get(f"/personal/{account.pk}/pay/"))
    assert "Задолженность оплачена, ожидает учёта" in pay_page and "Оплачено" not in pay_page
    payments_page = text_of(client.get(f"/personal/{account.pk}/payments/"))
    assert "1 500,00" not in payments_page  # others' payments are the holder's business

    alpha.policy.basic_access = "status"
    alpha.policy.save()
    fragments.forget_account(account.pk)
    home = text_of(client.get("/overview/"))
    assert "Задолженность оплачена, ожидает учёта" in home
    assert "1 500,00" not in home
    assert client.get(f"/personal/{account.pk}/pay/").status_code == 302  # to the proofs


@pytest.mark.django_db
def test_a_payment_that_cannot_succeed_says_not_paid_and_one_unknown_says_what_happens_next(payer):
    user, client, account, _shop = payer
    refused = paid_here(account, user=user, amount="1500", status="canceled")
    page = text_of(client.get(f"/payments/{refused.public_id}/"))
    assert "Платёж не оплачен" in page and "Оплатить снова" in page and "Деньги не списаны" in page
    history = text_of(client.get(f"/personal/{account.pk}/payments/"))
    assert "не оплачен" in history

    waiting = paid_here(account, user=user, amount="1500", status="pending")
    with scopes_disabled():
        Payment.objects.filter(pk=waiting.pk).update(provider_payment_id="", checked_at=timezone.now())
    page = text_of(client.get(f"/payments/{waiting.public_id}/?x"))
    check_by = timezone.localtime(selectors.next_check_at(payment_of(waiting.public_id)), account.tenant.zone)
    assert "Проверяем оплату" in page
    assert f"мы сами спросим платёжный сервис не позже {check_by:%H:%M}" in page
    assert "не платите ещё раз" in page


@pytest.mark.django_db
def test_the_home_pays_the_debt_and_takes_readings_in_one_tap_each(payer):
    user, client, account, _shop = payer
    response = client.get("/overview/")
    home = response.content.decode()
    assert 'form="pay-debt"' in home and 'id="pay-debt"' in home and "Оплатить 1 500,00 ₽" in text_of(response)
    token = re.search(r'name="token" value="([0-9a-f-]{36})"', home).group(1)
    response = client.post(f"/personal/{account.pk}/pay/", {"kind": "debt", "token": token})
    assert response["Location"] == f"/payments/{uuid.UUID(token)}/confirm/"
    assert payment_of(token).amount == Decimal("1500.00")

    with scopes_disabled():
        meter = account.meters.get()
    assert f'form="readings-home" id="m{meter.pk}z1"' in home
    response = client.post(f"/personal/{account.pk}/readings/", {"then": "home", f"m{meter.pk}z1": "123,456"})
    assert response.status_code == 302 and response["Location"] == "/overview/"
    assert "123,456" in text_of(client.get("/overview/"))


@pytest.mark.django_db
def test_the_summary_of_several_accounts_takes_a_payment_off_as_soon_as_it_succeeds(payer):
    user, client, account, _shop = payer
    other = make_account(account.supplier, "23185962")
    link(user, other)
    before = text_of(client.get("/overview/"))  # the summary is cached now
    assert "К оплате 1 500,00 ₽" in before and "ожидает учёта" not in before
    pay_through(client, account)
    after = text_of(client.get("/overview/"))
    assert "К оплате 0,00 ₽ · оплачено 1 500,00 ₽, ожидает учёта" in after
