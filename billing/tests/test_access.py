"""Who may see and change an account (issue 22, part 1): the access ladder's rules at the
service level (billing.access, billing.links), and the attacks that broke it, through the
pages as a customer makes them: the control question raced, the linking wizard used as an
oracle of account numbers, a basic link reaching for what needs full access."""

import datetime
import re
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.factories import UserFactory, staff_user
from accounts.models import User
from billing import links
from billing.access import Need, link_gives
from billing.demo import consumer_accounts
from billing.demo_data import demo_pin
from billing.factories import AccountLinkFactory, SupplierFactory, link
from billing.models import AccountLink, Charge, Contract, Counterparty, PinRequest, WrongAnswers
from meters import services as meter_services
from meters.factories import exchange_rows, make_account
from meters.models import Meter, Reading
from portal.exchange.signals import billing_data_changed
from portal.factories import tenant_policy
from portal.models import TenantPolicy
from portal.scoping import scopes_disabled, tenant_scope
from portal.testing import text_of

BasicAccess = TenantPolicy.BasicAccess


@pytest.fixture
def alpha(tenants):
    tenant = tenants[0]
    supplier = SupplierFactory(tenant=tenant, code="gas", account_number_pattern=r"\d+")
    return tenant, supplier


# --- The ladder ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("basic_access", "given"), [
    (BasicAccess.STATUS, {Need.SEE}),
    (BasicAccess.BALANCE, {Need.SEE, Need.AMOUNTS}),
    (BasicAccess.PAY, {Need.SEE, Need.AMOUNTS, Need.PAY}),
])
def test_a_basic_link_gives_what_the_policy_shows_and_never_full(alpha, basic_access, given):
    tenant, supplier = alpha
    policy = tenant_policy(tenant, basic_access=basic_access)
    rows = exchange_rows(supplier, "100", user=UserFactory(tenant=tenant))
    basic, full = rows["link"], AccountLinkFactory(user=UserFactory(tenant=tenant), account=rows["account"])
    assert {need for need in Need if link_gives(basic, need, policy)} == given
    assert all(link_gives(full, need, policy) for need in Need)


@pytest.mark.django_db
def test_where_the_last_charge_is_asked_a_basic_link_sees_no_amount_whatever_the_row_says(alpha):
    """A policy saved past its clean() (a shell, an update()) must not hand over the answer."""
    tenant, supplier = alpha
    TenantPolicy.objects.filter(pk=tenant.pk).update(
        basic_access=BasicAccess.PAY, extended_access=True, question_last_charge=True)
    policy = TenantPolicy.objects.get(pk=tenant.pk)
    rows = exchange_rows(supplier, "100", user=UserFactory(tenant=tenant))
    assert not link_gives(rows["link"], Need.AMOUNTS, policy) and not link_gives(rows["link"], Need.PAY, policy)
    policy.basic_access = BasicAccess.BALANCE
    with pytest.raises(Exception, match="basic_access"):
        policy.full_clean()


@pytest.mark.django_db
def test_full_access_is_never_stored_without_a_proof(alpha):
    from django.db import IntegrityError, transaction

    tenant, supplier = alpha
    rows = exchange_rows(supplier, "100", user=UserFactory(tenant=tenant))
    link = rows["link"]
    link.access = AccountLink.Access.FULL
    with pytest.raises(IntegrityError), transaction.atomic():
        link.save()


# --- Making and proving links ----------------------------------------------------------------


@pytest.mark.django_db
def test_linking_by_number_gives_basic_access_even_without_a_control_question(alpha):
    """Before, a tenant without the control question gave full access to a number."""
    tenant, supplier = alpha
    tenant_policy(tenant, extended_access=False)
    rows = exchange_rows(supplier, "100")
    user = UserFactory(tenant=tenant)
    with tenant_scope(tenant):
        link = links.link_by_number(user=user, client="1:10.0.0.1", supplier=supplier, number="100")
    assert (link.access, link.proof) == ("basic", "")
    assert link.account == rows["account"]


@pytest.mark.django_db
def test_an_unconfirmed_login_links_nothing(alpha):
    tenant, supplier = alpha
    rows = exchange_rows(supplier, "100")
    pending = UserFactory(tenant=tenant, activation_deadline=timezone.now() + datetime.timedelta(days=3))
    with tenant_scope(tenant):
        for attempt in (
            lambda: links.link_by_number(user=pending, client="1:10.0.0.1", supplier=supplier, number="100"),
            lambda: links.link_create(user=pending, account=rows["account"], proof=AccountLink.Proof.WIZARD),
            lambda: links.wizard_account_find(user=pending, subscriber_type="individual", supplier=supplier,
                                              number="100", surname="Владелец"),
        ):
            with pytest.raises(links.LinkRefused, match="подтвердите"):
                attempt()
        assert not AccountLink.objects.filter(user=pending).exists()


@pytest.mark.django_db
def test_the_wizards_answers_are_the_proof(alpha):
    tenant, supplier = alpha
    rows = exchange_rows(supplier, "100")  # holder «Владелец 100»
    user = UserFactory(tenant=tenant)
    with tenant_scope(tenant):
        with pytest.raises(links.LinkRefused):
            links.wizard_account_find(user=user, subscriber_type="individual", supplier=supplier, number="100",
                                      surname="Иванов")
        account = links.wizard_account_find(user=user, subscriber_type="individual", supplier=supplier,
                                            number="100", surname="владелец")
        link = links.link_create(user=user, account=account, proof=AccountLink.Proof.WIZARD)
    assert account == rows["account"]
    assert (link.access, link.proof) == ("full", "wizard") and link.proven_at is not None


@pytest.mark.django_db
def test_questions_are_offered_only_where_the_account_has_an_answer_nobody_would_guess(alpha):
    """A last charge of 0 is anybody's first guess: the kopecks question takes the last
    non-zero charge, or is not offered; no meter, no serial question; no PIN, no PIN question."""
    tenant, supplier = alpha
    policy = tenant_policy(tenant, extended_access=True, question_meter_serial=True, question_last_charge=True,
                       question_pin=True, basic_access=BasicAccess.STATUS)
    user = UserFactory(tenant=tenant)
    rows = exchange_rows(supplier, "100", user=user)  # a meter, a charge of 100.00 in October, no PIN
    link = rows["link"]
    with tenant_scope(tenant):
        Charge.objects.create(tenant=tenant, account=rows["account"], period=datetime.date(2026, 11, 1),
                              service="electricity", charged=Decimal("0"), closing_balance=Decimal("0"))
        assert [key for key, _label in links.questions_for(link, policy)] == ["meter_serial", "last_charge"]
        today = tenant.today()
        assert links.link_prove_by_answer(link=link, policy=policy, client="c", question="last_charge",
                                          answer="0", today=today) == (False, "Ответ неверный. Проверьте данные по квитанции.")
        granted, _message = links.link_prove_by_answer(link=link, policy=policy, client="c",
                                                       question="last_charge", answer="10000", today=today)
        assert granted
        link.refresh_from_db()
        assert (link.access, link.proof) == ("full", "last_charge")

        # An account with nothing but zero charges and no meter: no question at all.
        empty = exchange_rows(supplier, "200", user=user)
        empty["meter"].delete()
        Charge.objects.filter(account=empty["account"]).update(charged=0)
        assert links.questions_for(empty["link"], policy) == []
        granted, _message = links.link_prove_by_answer(link=empty["link"], policy=policy, client="c",
                                                       question="last_charge", answer="0", today=today)
        assert not granted


@pytest.mark.django_db
def test_guessers_cannot_lock_the_holder_out_and_the_accounts_ceiling_is_staffs_to_lift(alpha):
    """Wrong answers count per user (5) and per client (20); the account's own count is a
    ceiling (30) that closes the question for everyone, which staff see and lift, while the
    PIN request goes on working."""
    tenant, supplier = alpha
    policy = tenant_policy(tenant, extended_access=True, question_meter_serial=True)
    rows = exchange_rows(supplier, "100")
    account, today = rows["account"], tenant.today()
    with tenant_scope(tenant):
        # Six guessers from two addresses, five wrong answers each: thirty in all.
        for guesser in range(links.WRONG_ANSWERS_PER_ACCOUNT // links.WRONG_ANSWERS_PER_USER):
            link = AccountLinkFactory(user=UserFactory(tenant=tenant), account=account, access="basic")
            for _try in range(links.WRONG_ANSWERS_PER_USER):
                granted, _message = links.link_prove_by_answer(
                    link=link, policy=policy, client=f"{tenant.pk}:10.0.0.{guesser % 2}", question="meter_serial",
                    answer="WRONG", today=today)
                assert not granted
            if guesser == 0:
                # A guesser's sixth try is refused by their own count, even when right.
                granted, message = links.link_prove_by_answer(
                    link=link, policy=policy, client="x", question="meter_serial", answer="M-100", today=today)
                assert not granted and "Попробуйте завтра" in message
        assert links.questions_closed(account, today=today)

        # The holder: the question is closed today, the PIN request is not.
        holders = AccountLinkFactory(user=UserFactory(tenant=tenant), account=account, access="basic")
        granted, message = links.link_prove_by_answer(link=holders, policy=policy, client="holder",
                                                      question="meter_serial", answer="M-100", today=today)
        assert not granted and "Подайте запрос на получение PIN-кода" in message
        assert links.pin_request_create(link=holders).pk
        assert PinRequest.objects.filter(user=holders.user, account=account, handled_at=None).exists()

        # Staff see the ceiling and lift it: the holder's right answer goes through.
        row = WrongAnswers.objects.get(account=account)
        assert row.count == links.WRONG_ANSWERS_PER_ACCOUNT
        staff = UserFactory(tenant=tenant, is_staff=True)
        links.wrong_answers_lift(row=row, staff=staff)
        granted, _message = links.link_prove_by_answer(link=holders, policy=policy, client="holder",
                                                       question="meter_serial", answer="m-100", today=today)
        assert granted
        # Tomorrow the account's count starts again.
        assert not links.questions_closed(account, today=today + datetime.timedelta(days=1))


@pytest.mark.django_db
def test_staff_confirm_a_link_and_the_customer_is_told(alpha, outbox, django_capture_on_commit_callbacks):
    tenant, supplier = alpha
    user = UserFactory(tenant=tenant, email="holder@example.com")
    rows = exchange_rows(supplier, "100", user=user)
    staff = UserFactory(tenant=tenant, is_staff=True)
    with tenant_scope(tenant), django_capture_on_commit_callbacks(execute=True):
        links.link_confirm_by_staff(link=rows["link"], staff=staff)
    assert "подтвердил" in outbox.messages("holder@example.com")[0].text
    rows["link"].refresh_from_db()
    assert (rows["link"].access, rows["link"].proof, rows["link"].proven_by) == ("full", "staff", staff)
    rows["pin_request"].refresh_from_db()
    assert rows["pin_request"].handled_at is not None  # the request it answers is done


@pytest.mark.django_db
def test_only_the_questions_the_policy_asks_are_answered_and_only_their_exact_answer(gas):
    """The control question's rules in billing.links (the page in the attacks below is the
    wiring): a question the policy does not ask is refused even with its right answer; the
    PIN is its four ASCII digits, padding and other scripts' digits are not; a serial is
    matched without spaces and case; the last charge in whole kopecks."""
    alpha, _beta, supplier = gas
    policy = tenant_policy(alpha, extended_access=True, question_pin=True)
    account = make_account(supplier, "23185952")  # PIN 4821, meter SN-23185952-0, last charge 1 234,56
    today = timezone.localdate()

    def answer(question, text, *, user=None):
        the_link = link(user or UserFactory(tenant=alpha), account, access="basic")
        with tenant_scope(alpha):
            granted, _message = links.link_prove_by_answer(link=the_link, policy=policy, client=f"c{the_link.pk}",
                                                           question=question, answer=text, today=today)
        return granted

    assert not answer("meter_serial", "SN-23185952-0")  # not asked by this policy
    for wrong in ("４８２１", "４821", "04821", "4821\x00", "4821 0", ""):
        assert not answer("pin", wrong), wrong
    assert answer("pin", " 4821 ")
    policy = tenant_policy(alpha, question_pin=False, question_meter_serial=True, question_last_charge=True)
    assert answer("meter_serial", "sn-2318 5952-0")
    assert not answer("last_charge", "1234,56") and not answer("last_charge", "１２３４５６")
    assert answer("last_charge", "123456")


@pytest.mark.django_db
def test_a_pin_request_is_one_open_request_per_user_and_account(gas):
    alpha, _beta, supplier = gas
    account = make_account(supplier, "23185952")
    user = UserFactory(tenant=alpha)
    the_link = link(user, account, access="basic")
    with tenant_scope(alpha):
        first = links.pin_request_create(link=the_link)
        assert links.pin_request_create(link=the_link) == first
        links.link_confirm_by_staff(link=the_link, staff=staff_user(alpha))
        assert links.pin_request_create(link=the_link) != first  # the first was handled
        assert PinRequest.objects.filter(account=account, handled_at=None).count() == 1


# --- Contracts (guide 000) ----------------------------------------------------------------------


@pytest.fixture
def registry(alpha):
    """A counterparty registered as a user, with one contract and its account."""
    tenant, supplier = alpha
    user = UserFactory(tenant=tenant, username="6229001125-1001")
    rows = exchange_rows(supplier, "100")
    with scopes_disabled():
        counterparty = Counterparty.objects.create(tenant=tenant, inn="6229001125", name="ООО «Хлеб»", account=user)
        contract = Contract.objects.create(tenant=tenant, supplier=supplier, number="1001", counterparty=counterparty)
        rows["account"].contract_number = "1001"
        rows["account"].save()
    return tenant, user, contract, rows["account"]


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["moved", "terminated"])
def test_access_that_came_with_a_contract_ends_when_billing_moves_or_ends_it(registry, change):
    tenant, user, contract, account = registry
    with tenant_scope(tenant):
        assert links.contract_links_sync(user=user) == 1
        link = AccountLink.objects.get(user=user, account=account)
        assert (link.access, link.proof) == ("full", "contract")
        if change == "moved":
            other = Counterparty.objects.create(tenant=tenant, inn="7700000001", name="ООО «Другое»")
            Contract.objects.filter(pk=contract.pk).update(counterparty=other)
        else:
            Contract.objects.filter(pk=contract.pk).update(status=Contract.Status.TERMINATED)
        # As the import announces it, after its commit: every user of the tenant at once.
        billing_data_changed.send(sender=None, tenant=tenant, kinds={"contracts"})
        assert not AccountLink.objects.filter(user=user).exists()
        # And the overview's sync does not bring it back.
        links.contract_links_sync(user=user)
        assert not AccountLink.objects.filter(user=user).exists()


@pytest.mark.django_db
def test_a_contract_ends_links_only_of_the_contracts_holder(registry):
    """A family member linked by number (basic) or a staff-confirmed link is not a contract link."""
    tenant, user, contract, account = registry
    relative = AccountLinkFactory(user=UserFactory(tenant=tenant), account=account)  # staff's proof
    with tenant_scope(tenant):
        links.contract_links_sync(user=user)
        Contract.objects.filter(pk=contract.pk).update(status=Contract.Status.TERMINATED)
        assert links.contract_links_end() == 1
        assert list(AccountLink.objects.values_list("pk", flat=True)) == [relative.pk]


# --- Readings keep their author ------------------------------------------------------------------


@pytest.fixture
def shared_meter(alpha):
    """An account with a meter, its holder (full access) and a stranger who linked it by number."""
    tenant, supplier = alpha
    tenant_policy(tenant, basic_access=BasicAccess.PAY)
    holder = UserFactory(tenant=tenant, email="holder@example.com")
    stranger = UserFactory(tenant=tenant, email="stranger@example.com")
    rows = exchange_rows(supplier, "100")
    AccountLinkFactory(user=holder, account=rows["account"])
    AccountLinkFactory(user=stranger, account=rows["account"], access="basic")
    return tenant, rows["account"], rows["meter"], holder, stranger


def submit(account, meter, user, value, access):
    with tenant_scope(account.tenant):
        submission = meter_services.readings_submit(account=account, meter=meter, values={1: value}, user=user,
                                                    access=access, confirmed={"jump", "lower"})
    assert submission.saved, submission.problems
    return submission.readings[0]


@pytest.mark.django_db
def test_a_strangers_reading_never_replaces_the_holders(shared_meter, outbox, django_capture_on_commit_callbacks):
    tenant, account, meter, holder, stranger = shared_meter
    with django_capture_on_commit_callbacks(execute=True):
        mine = submit(account, meter, holder, "18909", "full")
        theirs = submit(account, meter, stranger, "99999", "basic")
    mine.refresh_from_db()
    assert (mine.value, mine.status) == (Decimal("18909"), "submitted")
    assert (theirs.status, theirs.held_for_id, theirs.access) == ("held", mine.pk, "basic")
    # The holder is told, with the stranger masked; the stranger is not told about the holder.
    told = outbox.messages("holder@example.com")
    assert told and "s***@e***.com" in told[0].text and "stranger@example.com" not in told[0].text
    assert not outbox.messages("stranger@example.com")


@pytest.mark.django_db
def test_the_holders_reading_takes_the_place_of_a_strangers_and_the_stranger_is_told(
        shared_meter, outbox, django_capture_on_commit_callbacks):
    tenant, account, meter, holder, stranger = shared_meter
    with django_capture_on_commit_callbacks(execute=True):
        theirs = submit(account, meter, stranger, "99999", "basic")
        mine = submit(account, meter, holder, "18909", "full")
    theirs.refresh_from_db()
    assert mine.status == "submitted" and (theirs.status, theirs.held_for_id) == ("held", mine.pk)
    assert outbox.messages("stranger@example.com")  # theirs will not go to billing
    assert outbox.messages("holder@example.com")  # told of the stranger's reading when it came


@pytest.mark.django_db
def test_between_equals_the_first_stays_and_only_the_chosen_reading_is_exported(shared_meter, tmp_path):
    from meters.exchange import export_readings

    tenant, account, meter, holder, stranger = shared_meter
    spouse = UserFactory(tenant=tenant)
    AccountLinkFactory(user=spouse, account=account)
    first = submit(account, meter, holder, "18909", "full")
    second = submit(account, meter, spouse, "18950", "full")
    assert second.status == "held"
    # The holder corrects their own reading: replaced, as always.
    again = submit(account, meter, holder, "18910", "full")
    assert again.pk == first.pk
    with tenant_scope(tenant):
        result = export_readings(tenant, tmp_path)
        assert result.rows == 1 and "18910" in result.path.read_text() and "18950" not in result.path.read_text()
        # After the export, the spouse's new reading does not correct the holder's either.
        late = submit(account, meter, spouse, "18960", "full")
        assert late.status == "held" and late.held_for_id == first.pk
        # Staff, who see the conflict in the admin, choose the spouse's: it goes as a correction.
        assert meter_services.reading_choose(reading=late)
        late.refresh_from_db()
        assert (late.status, late.corrects_id) == ("submitted", first.pk)


@pytest.mark.django_db
def test_staff_choose_a_held_reading_over_the_waiting_one(shared_meter):
    tenant, account, meter, holder, stranger = shared_meter
    mine = submit(account, meter, holder, "18909", "full")
    theirs = submit(account, meter, stranger, "18911", "basic")
    with tenant_scope(tenant):
        assert meter_services.reading_choose(reading=theirs)
        assert not meter_services.reading_choose(reading=theirs)  # once
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (theirs.status, mine.status, mine.held_for_id) == ("submitted", "held", theirs.pk)
    with scopes_disabled():
        assert Reading.objects.filter(meter=meter, status="submitted").count() == 1


# --- The attacks, as a stranger at gaz makes them --------------------------------------------


def demo_consumers_account(gaz):
    with tenant_scope(gaz):
        account = consumer_accounts(gaz)[0]
        holder = User.objects.get(username="consumer@gaz.example")
    return account, holder


@pytest.mark.django_db
def test_a_number_alone_shows_nothing_personal_and_a_proof_shows_what_proof_gives(demo_tenants, tenant_client,
                                                                                   outbox):
    gaz = demo_tenants["gaz"]
    account, holder = demo_consumers_account(gaz)
    client = tenant_client(gaz)
    # Registered a minute ago, e-mail not confirmed (gaz lets them log in before).
    with tenant_scope(gaz):
        stranger = User.objects.create_user(
            tenant=gaz, username="stranger@example.com", email="stranger@example.com", password="abc12",
            activation_deadline=timezone.now() + datetime.timedelta(hours=72))
    client.force_login(stranger)
    form = {"supplier": account.supplier_id, "number": account.number}
    page = text_of(client.post("/personal/link/", form))
    assert "Сначала подтвердите" in page
    with scopes_disabled():
        assert not AccountLink.objects.filter(user=stranger).exists()

    with tenant_scope(gaz):  # the e-mail confirmed
        stranger.activation_deadline = None
        stranger.save()
    response = client.post("/personal/link/", form)
    assert response.url == f"/personal/{account.pk}/extended/"  # straight to the proofs
    with scopes_disabled():
        assert AccountLink.objects.get(user=stranger).access == "basic"

    overview = text_of(client.get("/overview/"))
    assert "К оплате" in overview and "Оплатить" in overview  # guide 002: the debt, and paying
    assert account.holder_name not in overview and account.address not in overview
    assert "Последний платёж" not in overview
    with tenant_scope(gaz):
        meter = account.meters.first()
        invoice = account.invoices.order_by("-period").first()
    assert meter.serial not in overview
    for path in (f"/personal/{account.pk}/invoices/", f"/personal/{account.pk}/history/",
                 f"/personal/{account.pk}/history/?format=csv", f"/invoices/{invoice.pk}/receipt/",
                 f"/personal/{account.pk}/meters/{meter.pk}/"):
        response = client.get(path)
        assert response.status_code == 302 and response.url == f"/personal/{account.pk}/extended/", path
    payments_page = text_of(client.get(f"/personal/{account.pk}/payments/"))
    assert "Оплатили другие" not in payments_page and "Мои платежи" in payments_page
    readings_page = text_of(client.get(f"/personal/{account.pk}/readings/"))
    assert meter.serial not in readings_page

    # The PIN printed on the holder's receipt opens the account: full access, and all of it.
    response = client.post(f"/personal/{account.pk}/extended/", {"question": "pin", "answer": demo_pin(account.number)})
    assert response.status_code == 302
    assert client.get(f"/personal/{account.pk}/history/?format=csv").status_code == 200
    assert account.address in text_of(client.get("/overview/"))
    assert client.get(f"/personal/{account.pk}/invoices/").status_code == 200


@pytest.mark.django_db
def test_a_stranger_cannot_change_the_holders_reading_and_the_holder_is_told(demo_tenants, tenant_client, outbox):
    gaz = demo_tenants["gaz"]
    account, holder = demo_consumers_account(gaz)
    with tenant_scope(gaz):
        meter = account.meters.first()
        stranger = UserFactory(tenant=gaz, email="stranger@example.com", username="stranger@example.com")
        AccountLinkFactory(user=stranger, account=account, access="basic")
    holder_client, stranger_client = tenant_client(gaz), tenant_client(gaz, REMOTE_ADDR="203.0.113.9")
    holder_client.force_login(holder)
    stranger_client.force_login(stranger)
    url = f"/personal/{account.pk}/readings/"
    with tenant_scope(gaz):
        last = meter.readings.exclude(status__in=Reading.NOT_COUNTED).order_by("-taken_on", "-pk").first().value
    mine = str(int(last) + 20)
    holder_client.post(url, {f"m{meter.pk}z1": mine, f"m{meter.pk}_jump": "1"})
    page = text_of(stranger_client.post(url, {f"m{meter.pk}z1": "99999", f"m{meter.pk}_jump": "1"}, follow=True))
    assert "не переданы в расчёт" in page
    with tenant_scope(gaz):
        waiting = Reading.objects.get(meter=meter, status="submitted")
        held = Reading.objects.get(meter=meter, status="held")
    assert (waiting.value, waiting.submitted_by_id) == (Decimal(mine), holder.pk)
    assert (held.value, held.submitted_by_id, held.access) == (Decimal("99999"), stranger.pk, "basic")
    # The holder is told by their usual channel, and sees who (masked) on the readings page.
    told = outbox.messages(holder.email)
    assert any("s***@e***.com" in message.text for message in told)
    holders_page = text_of(holder_client.get(url))
    assert "s***@e***.com" in holders_page and "99999" in holders_page and "stranger@example.com" not in holders_page


@pytest.mark.django_db
def test_when_a_stranger_was_first_the_holder_sees_who_sent_the_reading_billing_gets(
        demo_tenants, tenant_client, outbox):
    gaz = demo_tenants["gaz"]
    account, holder = demo_consumers_account(gaz)
    with tenant_scope(gaz):
        meter = account.meters.first()
        stranger = UserFactory(tenant=gaz, email="stranger@example.com", username="stranger@example.com")
        AccountLinkFactory(user=stranger, account=account, access="basic")
        last = meter.readings.exclude(status__in=Reading.NOT_COUNTED).order_by("-taken_on", "-pk").first().value
    stranger_client = tenant_client(gaz, REMOTE_ADDR="203.0.113.9")
    stranger_client.force_login(stranger)
    url = f"/personal/{account.pk}/readings/"
    stranger_client.post(url, {f"m{meter.pk}z1": str(int(last) + 5), f"m{meter.pk}_jump": "1"})
    holder_client = tenant_client(gaz)
    holder_client.force_login(holder)
    holders_page = text_of(holder_client.get(url))
    assert "передано пользователем s***@e***.com" in holders_page
    assert "stranger@example.com" not in holders_page
    # The stranger, who has only a number, learns nothing of the holder from the same page.
    assert holder.email not in text_of(stranger_client.get(url))


@pytest.mark.django_db
def test_the_holder_is_told_when_someone_else_pays(demo_tenants, outbox, django_capture_on_commit_callbacks):
    from payments import services as payment_services
    from payments.factories import payment_rows
    from payments.models import Payment

    gaz = demo_tenants["gaz"]
    account, holder = demo_consumers_account(gaz)
    with tenant_scope(gaz):
        stranger = UserFactory(tenant=gaz, email="payer@example.com", username="payer@example.com")
        AccountLinkFactory(user=stranger, account=account, access="basic")
        payment = payment_rows(account, user=stranger)["payment"]
        Payment.objects.filter(pk=payment.pk).update(status="pending", succeeded_at=None)
        payment.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            payment_services._move(payment, "succeeded", None)
    told = [message for message in outbox.messages(holder.email) if "оплачено" in message.text]
    assert told and re.search(r"p\*\*\*@e\*\*\*\.com", told[0].text) and "payer@example.com" not in told[0].text
    assert not [message for message in outbox.messages("payer@example.com") if "Оплатил:" in message.text]


# --- Attacks: the control question raced ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_wrong_answers_do_not_get_past_five(tenants, monkeypatch):
    """Twenty wrong answers sent at once: the check of the limit and the counting of a
    failure must not leave room for more than five (a PIN has 10,000 values)."""
    alpha, _beta = tenants
    tenant_policy(alpha, extended_access=True, question_pin=True)
    supplier = SupplierFactory(tenant=alpha, code="ryazan", account_number_pattern=r"\d+")
    account = make_account(supplier, "23185952")
    user = UserFactory(tenant=alpha)
    link(user, account, access="basic")

    checked = []
    real = links._answer_is_right

    def slow_answer(*args, **kwargs):  # a busy database: the check takes a while
        checked.append(1)
        time.sleep(0.3)
        return real(*args, **kwargs)

    monkeypatch.setattr(links, "_answer_is_right", slow_answer)
    barrier = threading.Barrier(20)
    results = []

    def guess(number):
        client = Client(HTTP_HOST="alpha.localhost")
        client.force_login(user)
        barrier.wait()
        try:
            response = client.post(f"/personal/{account.pk}/extended/",
                                   {"question": "pin", "answer": f"{1000 + number}"})
            results.append(response.content.decode())
        finally:
            connection.close()

    threads = [threading.Thread(target=guess, args=(number,)) for number in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 20
    assert len(checked) <= 5, f"{len(checked)} answers were checked"
    assert sum("Ответ неверный" in page for page in results) <= 5


@pytest.mark.django_db
def test_a_right_answer_is_not_counted_as_a_failure(gas, tenant_client):
    """Only failures count: a user who links several accounts and answers each right the
    first time is never refused."""
    alpha, _beta, supplier = gas
    tenant_policy(alpha, extended_access=True, question_pin=True)
    user = UserFactory(tenant=alpha)
    client = tenant_client(alpha)
    client.force_login(user)
    for index in range(7):
        account = make_account(supplier, f"2318595{index}")
        the_link = link(user, account, access="basic")
        response = client.post(f"/personal/{account.pk}/extended/", {"question": "pin", "answer": "4821"})
        assert response.status_code == 302, index
        the_link.refresh_from_db()
        assert the_link.access == "full"


@pytest.fixture
def pin_asked(gas, consumer):
    """A consumer's basic link to an account of a tenant that asks for the PIN."""
    alpha, _beta, supplier = gas
    tenant_policy(alpha, extended_access=True, question_pin=True)
    user, client = consumer
    account = make_account(supplier, "23185952")
    return account, link(user, account, access="basic"), client


@pytest.mark.django_db
def test_answer_variants_and_unasked_questions(pin_asked):
    account, the_link, client = pin_asked
    url = f"/personal/{account.pk}/extended/"
    # A question the policy does not ask is refused, even with its right answer.
    response = client.post(url, {"question": "meter_serial", "answer": "SN-23185952-0"})
    assert response.status_code == 200
    # Unicode digits and padding are not the PIN.
    for answer in ("４８２１", "４821", "04821", "4821\x00", "4821 0"):
        client.post(url, {"question": "pin", "answer": answer})
    the_link.refresh_from_db()
    assert the_link.access == "basic"


@pytest.mark.django_db
def test_pin_requests_do_not_pile_up(pin_asked):
    account, _link, client = pin_asked
    for _ in range(5):
        client.post(f"/personal/{account.pk}/extended/", {"request_pin": "1"})
    from billing.models import PinRequest

    with scopes_disabled():
        assert PinRequest.objects.count() == 1


# --- Attacks: the wizard (guide 003) as an oracle ------------------------------------------------


@pytest.fixture
def wizard(gas):
    alpha, _beta, supplier = gas
    alpha.policy.account_linking = alpha.policy.AccountLinking.WIZARD
    alpha.policy.save()
    return alpha, supplier


@pytest.mark.django_db
def test_the_wizard_is_not_an_oracle_of_account_numbers(wizard, consumer):
    """«The same message whatever was wrong»: a number billing does not know and a known
    number with the wrong surname answer alike, and both count towards the day's ten."""
    _alpha, supplier = wizard
    user, client = consumer
    make_account(supplier, "23185952")
    client.post("/personal/link/", {"subscriber_type": "individual"})
    known = client.post("/personal/link/?step=details",
                        {"supplier": supplier.pk, "number": "23185952", "surname": "Петров"})
    unknown = client.post("/personal/link/?step=details",
                          {"supplier": supplier.pk, "number": "23185959", "surname": "Петров"})
    assert "Данные не совпадают" in text_of(known)
    assert "не найден" not in text_of(unknown)
    assert "Данные не совпадают" in text_of(unknown)
    for number in range(8):
        client.post("/personal/link/?step=details",
                    {"supplier": supplier.pk, "number": f"2318590{number}", "surname": "Петров"})
    right = client.post("/personal/link/?step=details",
                        {"supplier": supplier.pk, "number": "23185952", "surname": "Иванов"})
    assert "Слишком много неудачных попыток" in text_of(right)


@pytest.mark.django_db
def test_the_wizards_steps_cannot_be_skipped(wizard, consumer):
    _alpha, supplier = wizard
    user, client = consumer
    account = make_account(supplier, "23185952")
    # Straight to the confirmation, and to the details without a type: back to the start.
    client.post("/personal/link/?step=confirm")
    client.post("/personal/link/?step=details", {"supplier": supplier.pk, "number": "23185952", "surname": "Иванов"})
    with scopes_disabled():
        assert not AccountLink.objects.filter(user=user).exists()
    # A finished wizard cannot be replayed: the state went with the link.
    client.post("/personal/link/", {"subscriber_type": "individual"})
    client.post("/personal/link/?step=details", {"supplier": supplier.pk, "number": "23185952", "surname": "Иванов"})
    assert client.post("/personal/link/?step=confirm").status_code == 302
    client.post(f"/personal/{account.pk}/unlink/", {"confirm": "1"})
    client.post("/personal/link/?step=confirm")
    with scopes_disabled():
        assert not AccountLink.objects.filter(user=user).exists()


@pytest.mark.django_db
def test_a_basic_link_gets_no_receipt_no_status_and_no_meter_page(pin_asked):
    account, _link, client = pin_asked
    from billing.models import Invoice

    with scopes_disabled():
        invoice = Invoice.objects.filter(account=account).first()
        meter = Meter.objects.get(account=account)
    extended = f"/personal/{account.pk}/extended/"
    for path in (f"/invoices/{invoice.pk}/receipt/", f"/invoices/{invoice.pk}/receipt/wait/",
                 f"/invoices/{invoice.pk}/receipt/status/", f"/personal/{account.pk}/meters/{meter.pk}/",
                 f"/personal/{account.pk}/readings/", f"/personal/{account.pk}/history/?format=csv",
                 f"/personal/{account.pk}/invoices/?all=1"):
        response = client.get(path)
        assert response.status_code == 302 and response.url == extended, path
    assert client.post(f"/personal/{account.pk}/readings/", {f"m{meter.pk}z1": "200"}).url == extended
    with scopes_disabled():
        assert not Reading.objects.filter(source="portal").exists()
