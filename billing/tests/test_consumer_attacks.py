"""The consumer's pages attacked: ids tampered with, the control question raced, the wizard used as an oracle, data from billing's files
as markup and as spreadsheet formulas, and forged POSTs."""

import csv
import io
import re
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.factories import UserFactory
from billing import links
from billing.factories import SupplierFactory, link
from billing.models import AccountLink, BillingPayment, Charge
from meters.factories import TODAY, linked_accounts, make_account
from meters.models import Meter, Reading
from portal.scoping import scopes_disabled
from portal.testing import text_of


def ask_questions(tenant, *questions):
    tenant.policy.extended_access = True
    for question in questions:
        setattr(tenant.policy, f"question_{question}", True)
    tenant.policy.save()


# --- Ids, redirects ----------------------------------------------------------------------------


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


# --- The control question raced ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_wrong_answers_do_not_get_past_five(tenants, monkeypatch):
    """Twenty wrong answers sent at once: the check of the limit and the counting of a
    failure must not leave room for more than five (a PIN has 10,000 values)."""
    alpha, _beta = tenants
    ask_questions(alpha, "pin")
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
    ask_questions(alpha, "pin")
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


@pytest.mark.django_db
def test_answer_variants_and_unasked_questions(gas, consumer):
    alpha, _beta, supplier = gas
    ask_questions(alpha, "pin")
    user, client = consumer
    account = make_account(supplier, "23185952")
    the_link = link(user, account, access="basic")
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
def test_pin_requests_do_not_pile_up(gas, consumer):
    alpha, _beta, supplier = gas
    ask_questions(alpha, "pin")
    user, client = consumer
    account = make_account(supplier, "23185952")
    link(user, account, access="basic")
    for _ in range(5):
        client.post(f"/personal/{account.pk}/extended/", {"request_pin": "1"})
    from billing.models import PinRequest

    with scopes_disabled():
        assert PinRequest.objects.count() == 1


# --- The wizard (guide 003) ----------------------------------------------------------------


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
    client.post(f"/personal/{account.pk}/unlink/")
    client.post("/personal/link/?step=confirm")
    with scopes_disabled():
        assert not AccountLink.objects.filter(user=user).exists()


# --- Billing's data as markup and as formulas --------------------------------------------


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


# --- Forged POSTs, GETs that change nothing ---------------------------------------------------


@pytest.mark.django_db
def test_every_post_needs_the_csrf_token(gas):
    alpha, _beta, supplier = gas
    ask_questions(alpha, "pin")
    user = UserFactory(tenant=alpha)
    account = make_account(supplier, "23185952")
    other = make_account(supplier, "23185953")
    link(user, account, access="basic")
    link(user, other)
    client = Client(HTTP_HOST="alpha.localhost", enforce_csrf_checks=True)
    client.force_login(user)
    for path, data in (
        ("/personal/select/", {"account": other.pk}),
        (f"/personal/{account.pk}/unlink/", {}),
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
    for path in (f"/personal/{account.pk}/unlink/", "/personal/select/"):
        assert client.get(path).status_code == 405
    with scopes_disabled():
        assert AccountLink.objects.filter(user=user).exists()


@pytest.mark.django_db
def test_a_basic_link_gets_no_receipt_no_status_and_no_meter_page(gas, consumer):
    alpha, _beta, supplier = gas
    ask_questions(alpha, "pin")
    user, client = consumer
    account = make_account(supplier, "23185952")
    link(user, account, access="basic")
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


@pytest.mark.django_db
def test_markup_in_billings_data_fetches_nothing_from_the_receipt(tenants):
    """Names, address and reasons with tags and CSS URLs: text in the PDF, no fetch (the
    fetcher would stop the rendering on any URL), and the QR payload keeps its fields."""
    from django.core.files.storage import storages

    from billing import qr
    from billing.receipts import services as receipts
    from billing.demo import payee_details
    from billing.factories import invoice_with_charges
    from portal.scoping import tenant_scope

    alpha, _beta = tenants
    hostile = '<img src="http://evil.example/a.png"><style>@import url(http://evil.example/x.css)</style>|Sum=1'
    supplier = SupplierFactory(tenant=alpha, code="ryazan", name=hostile, **payee_details("ryazan"))
    made = invoice_with_charges(supplier, "23185952", user=UserFactory(tenant=alpha))
    with scopes_disabled():
        made["account"].holder_name = made["account"].address = hostile
        made["account"].save()
        Charge.objects.filter(account=made["account"]).update(recalculation_reason=hostile)
    with tenant_scope(alpha):
        invoice, rendered = receipts.render_receipt(made["invoice"].pk)
        data = storages["private"].open(invoice.receipt.name).read()
        html = receipts.render_receipt_html(invoice, receipts.receipt_charges(invoice), source="x")
    assert rendered and data.startswith(b"%PDF-")
    assert "<img src=\"http://evil" not in html and "<style>@import" not in html
    payload = re.search(r"ST00012\|[^<]*", html)
    if payload:
        fields = qr.parse_payload(payload.group(0).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">"))
        assert list(fields).count("Sum") <= 1
