"""The consumer's account pages: linking, the control question, invoices, history; each
page reached only through the user's own link; and the pages attacked: ids tampered with,
data from billing's files as markup and as spreadsheet formulas, forged POSTs. (The overview
is the cabinet's: cabinet/tests/test_overview.py.)"""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.factories import UserFactory
from billing.factories import SupplierFactory, invoice_with_charges, link
from billing.models import Account, AccountLink, BillingPayment, Charge, PinRequest
from meters.factories import TODAY, linked_accounts, make_account
from meters.models import Meter, Reading
from portal.factories import tenant_policy
from portal.scoping import scopes_disabled
from portal.testing import text_of


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
    assert client.post(f"/personal/{account.pk}/unlink/", {"confirm": "1"}).status_code == 302
    with scopes_disabled():
        assert list(AccountLink.objects.values_list("user_id", flat=True)) == [spouse.pk]


@pytest.mark.django_db
def test_unlinking_asks_first_on_a_page_that_says_what_is_lost(gas, consumer):
    _alpha, _beta, supplier = gas
    user, client = consumer
    account = make_account(supplier, "23185952")
    link(user, account)
    page = client.post(f"/personal/{account.pk}/unlink/").content.decode()  # the overview's button
    for lost in ("сумма к оплате и оплата этого счёта", "передача показаний", "квитанции, история начислений",
                 "новое подтверждение, что счёт ваш"):
        assert lost in page
    with scopes_disabled():
        assert AccountLink.objects.filter(user=user, account=account).exists()
    assert client.post(f"/personal/{account.pk}/unlink/", {"confirm": "1"}).status_code == 302
    with scopes_disabled():
        assert not AccountLink.objects.filter(user=user, account=account).exists()


@pytest.mark.django_db
def test_wrong_answers_stop_the_guesser_and_not_the_holder(gas, consumer, tenant_client):
    """Five wrong answers a day stop a user; the account has only a ceiling far above that
    (billing.links), so a stranger's guesses never lock the holder out."""
    alpha, _beta, supplier = gas
    tenant_policy(alpha, extended_access=True, question_pin=True, question_meter_serial=True)
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
    tenant_policy(alpha, extended_access=True, question_meter_serial=True)
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
def test_the_history_csv_opens_in_russian_excel_and_the_page_names_units_in_russian(gas, consumer):
    """UTF-8 with a BOM, «;» and a decimal comma: read back with csv as Excel would, every
    number is a number with a comma, units in Russian, a tariff with the digits it has."""
    _alpha, _beta, supplier = gas
    user, client = consumer
    account = invoice_with_charges(supplier, "23185952", user=user)["account"]
    response = client.get(f"/personal/{account.pk}/history/", {"format": "csv", "since": "", "until": ""})
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    header, charges = rows[0], [row for row in rows[1:] if row and re.fullmatch(r"\d{4}-\d{2}", row[0])]
    assert header[:6] == ["Период", "Услуга", "Долг на начало", "Объём", "Ед.", "Тариф"]
    by_service = {row[1]: dict(zip(header, row)) for row in charges}
    assert by_service["электроэнергия"]["Ед."] == "кВт·ч" and by_service["газ"]["Ед."] == "м³"
    assert by_service["газ"]["Тариф"] == "7,1234" and by_service["газ"]["Объём"] == "38,5000"
    for row in charges:
        for name in ("Долг на начало", "Объём", "Тариф", "Начислено", "Перерасчёт", "Оплачено", "К оплате"):
            assert re.fullmatch(r"-?\d+(,\d+)?", row[header.index(name)]), (name, row)
    page = text_of(client.get(f"/personal/{account.pk}/history/", {"since": "", "until": ""}))
    assert "245 кВт·ч" in page and "38,50 м³" in page and "kWh" not in page and "m3" not in page
    assert "6,12" in page and "6,1200" not in page and "7,1234" in page  # tariffs: the digits they have
    assert "По месяц" not in page


ACCOUNT_PAGES = [
    ("get", "/personal/{id}/invoices/"), ("get", "/personal/{id}/history/"), ("get", "/personal/{id}/extended/"),
    ("post", "/personal/{id}/unlink/"),
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


@pytest.fixture
def wizard(gas, consumer):
    """gas links accounts through guide 003's wizard: (tenant, supplier, the consumer's client)."""
    alpha, _beta, supplier = gas
    tenant_policy(alpha, account_linking="wizard")
    return alpha, supplier, consumer[1]


@pytest.mark.django_db
def test_the_wizard_of_guide_003_type_details_confirm_save(wizard):
    _alpha, supplier, client = wizard
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
def test_the_wizard_stops_guessing_holders_after_ten_wrong_answers(wizard):
    _alpha, supplier, client = wizard
    make_account(supplier, "23185952")
    client.post("/personal/link/", {"subscriber_type": "individual"})
    details = "/personal/link/?step=details"
    for guess in range(10):
        client.post(details, {"supplier": supplier.pk, "number": "23185952", "surname": f"Сидоров{guess}"})
    response = client.post(details, {"supplier": supplier.pk, "number": "23185952", "surname": "Иванов"})
    assert "Слишком много неудачных попыток" in text_of(response)


@pytest.mark.django_db
def test_the_wizard_proves_a_business_by_its_contracts_inn(wizard):
    from billing.models import Contract, Counterparty

    alpha, supplier, client = wizard
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
def test_linking_by_number_stops_after_twenty_unknown_numbers_a_day(gas, consumer):
    _alpha, _beta, supplier = gas
    _user, client = consumer
    make_account(supplier, "23185952")
    for number in range(20):
        response = client.post("/personal/link/", {"supplier": supplier.pk, "number": f"9{number:07d}"})
        assert "не найден" in text_of(response)
    response = client.post("/personal/link/", {"supplier": supplier.pk, "number": "23185952"})
    assert "Слишком много попыток" in text_of(response)


# --- Attacks: ids tampered with ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("raw", ["-1", "1e3", "²", "¹", "٣", "０", "9" * 40, "1%20", "%00", "1.0", "0x1"])
def test_malformed_account_ids_are_a_404(gas, consumer, raw):
    _alpha, _beta, supplier = gas
    user, client = consumer
    link(user, make_account(supplier, "23185952"))
    for page in ("invoices", "history", "extended", "readings"):
        assert client.get(f"/personal/{raw}/{page}/").status_code == 404, page
    assert client.post(f"/personal/{raw}/unlink/").status_code == 404
    assert client.post("/personal/select/", {"account": raw}).status_code == 404


@pytest.mark.django_db
def test_a_unicode_spelling_of_the_users_own_id_is_not_another_url_for_it(gas, consumer):
    """«０１» (full-width) and «٣» (Arabic-Indic) are digits to str.isdigit and int(): the
    same 404 as every other malformed id, not a second spelling of an account's URL."""
    _alpha, _beta, supplier = gas
    user, client = consumer
    (account,) = linked_accounts(user, supplier, "23185952")
    fullwidth = "".join(chr(ord("０") + int(digit)) for digit in str(account.pk))
    assert client.get(f"/personal/{account.pk}/invoices/").status_code == 200
    assert client.get(f"/personal/{fullwidth}/invoices/").status_code == 404


@pytest.mark.django_db
def test_another_users_and_another_tenants_accounts_are_a_404(gas, consumer, tenant_client):
    alpha, beta, supplier = gas
    user, client = consumer
    (mine,) = linked_accounts(user, supplier, "23185952")
    theirs = make_account(supplier, "23185953")
    link(UserFactory(tenant=alpha), theirs)
    beta_supplier = SupplierFactory(tenant=beta, code="ryazan", account_number_pattern=r"\d+")
    foreign = make_account(beta_supplier, "23185954")
    with scopes_disabled():
        beta_user = UserFactory(tenant=beta)
    link(beta_user, foreign)
    with scopes_disabled():
        meter = Meter.objects.get(account=theirs)
        invoice = theirs.invoices.first() if hasattr(theirs, "invoices") else None
    for account in (theirs, foreign):
        for page in ("invoices", "history", "extended", "readings"):
            assert client.get(f"/personal/{account.pk}/{page}/").status_code == 404
        assert client.post(f"/personal/{account.pk}/unlink/").status_code == 404
        assert client.post("/personal/select/", {"account": account.pk}).status_code == 404
    # Their meter under my account's id.
    assert client.get(f"/personal/{mine.pk}/meters/{meter.pk}/").status_code == 404
    from billing.models import Invoice

    with scopes_disabled():
        invoices = list(Invoice.objects.filter(account__in=[theirs, foreign]))
    for invoice in invoices:
        for suffix in ("", "wait/", "status/"):
            assert client.get(f"/invoices/{invoice.pk}/receipt/{suffix}").status_code == 404
    assert client.get(f"/invoices/{'9' * 30}/receipt/status/").status_code == 404
    with scopes_disabled():
        assert AccountLink.objects.filter(account__in=[theirs, foreign]).count() == 2


# --- Attacks: billing's data as markup and as formulas -------------------------------------------


EVIL = '<script>alert(1)</script><img src="http://evil.example/x.png">'


FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\t=1"]


@pytest.mark.django_db
def test_the_history_csv_holds_no_formulas(gas, consumer):
    _alpha, _beta, supplier = gas
    user, client = consumer
    (account,) = linked_accounts(user, supplier, "23185952")
    with scopes_disabled():
        charges = list(Charge.objects.filter(account=account))
        for charge, reason in zip(charges, FORMULAS, strict=False):
            charge.recalculation_reason = reason
            charge.save()
        for index, channel in enumerate(FORMULAS):
            BillingPayment.objects.create(tenant=account.tenant, account=account, amount=Decimal("1"), channel=channel,
                                          paid_at=f"{TODAY.isoformat()}T10:0{index}Z")
    response = client.get(f"/personal/{account.pk}/history/?format=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    for row in rows:
        for cell in row:
            if cell in {"", "-"} or re.fullmatch(r"-?\d+(\.\d+)?", cell):
                continue  # numbers, negative ones included, are numbers
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), row


@pytest.mark.django_db
def test_the_history_csvs_file_name_is_safe(gas, consumer):
    _alpha, _beta, supplier = gas
    user, client = consumer
    account = make_account(supplier, "23185952")
    with scopes_disabled():
        account.number = 'A";\r\nX-Evil: 1'
        account.save()
    link(user, account)
    response = client.get(f"/personal/{account.pk}/history/?format=csv")
    assert response.status_code == 200
    assert '"' not in response["Content-Disposition"].split('filename="', 1)[1].rstrip('"')


@pytest.mark.django_db
def test_markup_from_billings_files_is_text_on_every_page(gas, consumer):
    _alpha, _beta, supplier = gas
    user, client = consumer
    with scopes_disabled():
        supplier.name = EVIL
        supplier.save()
    account = make_account(supplier, "23185952")
    second = make_account(supplier, "23185953")
    with scopes_disabled():
        account.holder_name = account.address = EVIL
        account.save()
        Charge.objects.filter(account=account).update(recalculation_reason=EVIL, recalculated=Decimal("1"))
        BillingPayment.objects.filter(account=account).update(channel=EVIL)
        meter = Meter.objects.get(account=account)
        meter.serial = EVIL[:50]
        meter.save()
        Reading.objects.create(tenant=account.tenant, meter=meter, value=Decimal("99"), taken_on=TODAY,
                               source="portal", status="rejected", status_reason=EVIL,
                               submitted_at=timezone.now())
    link(user, account)
    link(user, second)
    client.post("/personal/select/", {"account": account.pk})
    for path in ("/overview/", f"/personal/{account.pk}/invoices/", f"/personal/{account.pk}/history/",
                 f"/personal/{account.pk}/readings/", f"/personal/{account.pk}/meters/{meter.pk}/"):
        page = client.get(path).content.decode()
        assert "<script>alert" not in page and '<img src="http://evil' not in page, path


# --- Attacks: forged POSTs, GETs that change nothing ---------------------------------------------


@pytest.mark.django_db
def test_every_post_needs_the_csrf_token(gas):
    alpha, _beta, supplier = gas
    tenant_policy(alpha, extended_access=True, question_pin=True)
    user = UserFactory(tenant=alpha)
    account = make_account(supplier, "23185952")
    other = make_account(supplier, "23185953")
    link(user, account, access="basic")
    link(user, other)
    client = Client(HTTP_HOST="alpha.localhost", enforce_csrf_checks=True)
    client.force_login(user)
    for path, data in (
        ("/personal/select/", {"account": other.pk}),
        (f"/personal/{account.pk}/unlink/", {"confirm": "1"}),
        (f"/personal/{account.pk}/extended/", {"request_pin": "1"}),
        (f"/personal/{account.pk}/extended/", {"question": "pin", "answer": "4821"}),
        ("/personal/link/", {"supplier": supplier.pk, "number": "23185954"}),
        (f"/personal/{other.pk}/readings/", {}),
    ):
        assert client.post(path, data).status_code == 403, path
    with scopes_disabled():
        assert AccountLink.objects.filter(user=user).count() == 2
        assert not AccountLink.objects.filter(user=user, access="full", account=account).exists()


@pytest.mark.django_db
def test_get_changes_nothing(gas, consumer):
    _alpha, _beta, supplier = gas
    user, client = consumer
    (account,) = linked_accounts(user, supplier, "23185952")
    assert client.get("/personal/select/").status_code == 405
    # «Отключить счёт» asks first: a GET, or the overview's POST without the confirmation, is the question.
    for response in (client.get(f"/personal/{account.pk}/unlink/"), client.post(f"/personal/{account.pk}/unlink/")):
        assert response.status_code == 200 and "Отключить лицевой счёт?" in response.content.decode()
    with scopes_disabled():
        assert AccountLink.objects.filter(user=user).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["unlinked by the user", "link deleted by staff"])
def test_a_kept_account_page_is_gone_the_moment_its_link_is(gas, consumer, how):
    """The invoices and history pages are kept whole (portal.page_cache.signed_in_page): served
    again without their view, so without its access check, only while the user's links keep
    the version they were built under."""
    _alpha, _beta, supplier = gas
    user, client = consumer
    account = invoice_with_charges(supplier, "23185952", user=user)["account"]
    for page in (f"/personal/{account.pk}/invoices/", f"/personal/{account.pk}/history/"):
        client.get(page)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page).status_code == 200
        assert not any("billing_" in query["sql"] for query in queries.captured_queries)  # the kept page
    if how == "unlinked by the user":
        assert client.post(f"/personal/{account.pk}/unlink/", {"confirm": "1"}).status_code == 302
    else:
        with scopes_disabled():
            AccountLink.objects.get(user=user, account=account).delete()
    for page in (f"/personal/{account.pk}/invoices/", f"/personal/{account.pk}/history/"):
        assert client.get(page).status_code == 404
