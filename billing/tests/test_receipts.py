"""PDF receipts with a ГОСТ Р 56042 payment QR code (billing/qr.py, billing/receipts/services.py,
billing/receipts/views.py): the payload read back field by field, the QR code decoded, the
PDF's text, byte-equal renders, rendering again only when the data changes, one file per
invoice, and the receipt's URLs answering only the account's full-access users."""

import datetime
import io
import re
import shutil
import subprocess
import threading
from decimal import Decimal

import pypdf
import pytest
import zxingcpp
from django.core.files.storage import storages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from accounts.factories import UserFactory
from billing import qr, tasks
from billing.receipts import services as receipts
from billing.demo import payee_details
from billing.factories import SupplierFactory, invoice_with_charges
from billing.models import Charge, Invoice, Supplier
from portal.scoping import scopes_disabled, tenant_scope

PERIOD = datetime.date(2026, 10, 1)
NUMBER = "6200123456"


def pdf_text(data):
    """The PDF's text with every run of whitespace (line breaks of wrapped cells, no-break
    spaces of thousands) as one space."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def decode_qr(image):
    found = zxingcpp.read_barcodes(image.convert("L"))
    assert len(found) == 1, found
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    return found[0].bytes.decode("utf-8")


def order(**overrides):
    details = payee_details("ryazan")
    fields = dict(
        name=details["payee_name"], personal_acc=details["settlement_account"], bank_name=details["bank_name"],
        bic=details["bic"], corresp_acc=details["correspondent_account"], payee_inn=details["inn"],
        kpp=details["kpp"], pers_acc=NUMBER, sum_kopecks=345678, paym_period="102026",
        purpose="Оплата за коммунальные услуги по л/с 6200123456 за 10.2026",
    )
    fields.update(overrides)
    return qr.PaymentOrder(**fields)


# --- The payload --------------------------------------------------------------------------------

def test_payload_reads_back_field_by_field():
    details = payee_details("ryazan")
    payload = order().payload()
    assert payload.startswith("ST00012|")
    parts = payload.split("|")
    assert [part.partition("=")[0] for part in parts[1:]] == [
        "Name", "PersonalAcc", "BankName", "BIC", "CorrespAcc", "PayeeINN", "KPP", "PersAcc", "Sum", "PaymPeriod",
        "Purpose", "TechCode",
    ]
    fields = qr.parse_payload(payload)
    assert fields == {
        "Name": "ООО «Газпром межрегионгаз Рязань»",
        "PersonalAcc": details["settlement_account"],
        "BankName": "РЯЗАНСКОЕ ОТДЕЛЕНИЕ N8606 ПАО СБЕРБАНК",
        "BIC": "046126614",
        "CorrespAcc": "30101810500000000614",
        "PayeeINN": details["inn"],
        "KPP": details["kpp"],
        "PersAcc": NUMBER,
        "Sum": "345678",
        "PaymPeriod": "102026",
        "Purpose": "Оплата за коммунальные услуги по л/с 6200123456 за 10.2026",
        "TechCode": "02",
    }
    assert qr.PERSONAL_ACC_RE.fullmatch(fields["PersonalAcc"])
    assert qr.BIC_RE.fullmatch(fields["BIC"])
    assert len(qr.mandatory_block(payload).encode("utf-8")) <= 300


def test_the_mandatory_block_stays_within_300_bytes_with_a_long_name():
    long_name = "Общество с ограниченной ответственностью «" + "Ж" * 150 + "»"
    payload = order(name=long_name, bank_name="Я" * 60).payload()
    block = qr.mandatory_block(payload)
    assert len(block.encode("utf-8")) <= 300
    fields = qr.parse_payload(payload)
    assert long_name.startswith(fields["Name"]) and len(fields["Name"]) > 20
    assert fields["BankName"] == "Я" * 45
    assert fields["PersAcc"] == NUMBER and fields["TechCode"] == "02"


def test_a_separator_never_appears_inside_a_value():
    payload = order(name="ООО «Свет|Тепло»", purpose="л/с 1|2\nза 10.2026", pers_acc="12|34").payload()
    fields = qr.parse_payload(payload)
    assert len(payload.split("|")) == 13
    assert fields["Name"] == "ООО «Свет/Тепло»"
    assert fields["Purpose"] == "л/с 1/2 за 10.2026"
    assert fields["PersAcc"] == "12/34"
    with pytest.raises(qr.PayloadError):
        qr.build_payload([("Name", "a|b"), ("PersonalAcc", "1"), ("BankName", "b"), ("BIC", "1"), ("CorrespAcc", "1")])


@pytest.mark.parametrize("field, value", [
    ("personal_acc", "0070281060026810075"),  # 19 digits
    ("personal_acc", "00702810600268100750"),  # starts with 0
    ("personal_acc", "40702Я10600268100750"),
    ("bic", "04612661"),
    ("bic", "04612661X"),
    ("corresp_acc", "3010181050000000061"),
    ("payee_inn", "62112262"),
    ("paym_period", "132026"),
])
def test_details_that_break_the_format_are_refused(field, value):
    with pytest.raises(qr.PayloadError):
        order(**{field: value}).payload()


def test_the_currency_letter_of_a_personal_account_is_allowed():
    # The sixth character may be one of the Latin letters that look Cyrillic (ГОСТ's regex).
    assert qr.parse_payload(order(personal_acc="40702X10600268100750").payload())["PersonalAcc"] == "40702X10600268100750"


def test_no_sum_when_nothing_is_owed():
    supplier = Supplier(name="x", **payee_details("ryazan"))
    for total in (Decimal("0"), Decimal("-15.20")):
        made = qr.payment_order(supplier=supplier, account_number=NUMBER, period=PERIOD, total=total)
        assert "Sum" not in qr.parse_payload(made.payload())
    made = qr.payment_order(supplier=supplier, account_number=NUMBER, period=PERIOD, total=Decimal("1234.5"))
    assert qr.parse_payload(made.payload())["Sum"] == "123450"
    assert qr.payment_order(supplier=Supplier(name="x"), account_number=NUMBER, period=PERIOD, total=1) is None


def test_the_qr_code_decodes_to_the_payload():
    payload = order().payload()
    code = qr.make_qr(payload)
    assert code.error == "M" and code.mode == "byte" and not code.is_micro
    png = io.BytesIO()
    code.save(png, kind="png", scale=4, border=4)
    assert decode_qr(Image.open(png)) == payload
    svg = qr.qr_svg(payload, title="QR")
    assert svg.startswith("<svg") and 'viewBox="0 0' in svg and "<title>QR</title>" in svg
    assert "<?xml" not in svg and "http://" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


# --- The receipt --------------------------------------------------------------------------------

@pytest.fixture
def private_dir(tmp_path):
    return tmp_path / "private"  # billing/tests/conftest.py points the "private" storage here


@pytest.fixture
def world(tenants):
    """alpha: a supplier with payee details, the owner (full access) of an invoice with five
    services, a neighbour without a link, a user with a basic link; beta: a user and an
    invoice of its own."""
    alpha, beta = tenants
    supplier = SupplierFactory(tenant=alpha, code="ryazan", name="Межрегионгаз Рязань", **payee_details("ryazan"))
    owner = UserFactory(tenant=alpha)
    made = invoice_with_charges(supplier, NUMBER, user=owner)
    basic = UserFactory(tenant=alpha)
    with scopes_disabled():
        made["account"].links.create(tenant=alpha, user=basic, access="basic")
    beta_user = UserFactory(tenant=beta)
    beta_made = invoice_with_charges(SupplierFactory(tenant=beta, **payee_details("rostov")), "7700000001",
                                     user=beta_user)
    return {
        "alpha": alpha, "beta": beta, "supplier": supplier, "owner": owner, "neighbour": UserFactory(tenant=alpha),
        "basic": basic, "beta_user": beta_user, "beta_invoice": beta_made["invoice"], **made,
    }


def loaded(invoice):
    return Invoice.objects.select_related("account__supplier").get(pk=invoice.pk)


def test_the_pdf_shows_the_account_period_services_and_total(world):
    with tenant_scope(world["alpha"]):
        invoice, rendered = receipts.render_receipt(world["invoice"].pk)
        assert rendered
        data = storages["private"].open(invoice.receipt.name).read()
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    for expected in [
        NUMBER, "октябрь 2026", "10.2026", "Иванова Мария Петровна", "г. Рязань, ул. Почтовая",
        "Межрегионгаз Рязань", "ООО «Газпром межрегионгаз Рязань»", world["supplier"].settlement_account,
        "БИК 046126614", "ИНН / КПП", "электроэнергия", "газ", "холодная вода", "горячая вода", "отопление",
        "кВт·ч", "Гкал", "7,1234", "-42,17", "Перерасчёт по показаниям прибора учёта за сентябрь",
        "Итого к оплате: " + receipts.money(invoice.total) .replace("\xa0", " ") + " руб.", "Оплатить до 10.11.2026",
        "Извещение", "Квитанция",
    ]:
        assert expected in text, expected
    assert invoice.total == sum(charge.closing_balance for charge in world["charges"])
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    assert reader.metadata.title == f"Квитанция по лицевому счёту {NUMBER} за 10.2026"
    assert "/CreationDate" not in reader.metadata and "/ModDate" not in reader.metadata
    fonts = {font["/BaseFont"] for page in reader.pages for font in page["/Resources"]["/Font"].values()
             for font in [font.get_object()]}
    assert any(name.endswith("+DejaVu-Sans") for name in fonts), fonts


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) is not installed")
def test_the_qr_code_in_the_pdf_is_the_payload_a_bank_reads(world, tmp_path):
    with tenant_scope(world["alpha"]):
        invoice = loaded(world["invoice"])
        data = receipts.render_receipt_pdf(invoice, receipts.receipt_charges(invoice))
    (tmp_path / "r.pdf").write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-singlefile", str(tmp_path / "r.pdf"), str(tmp_path / "r")],
                   check=True)
    fields = qr.parse_payload(decode_qr(Image.open(tmp_path / "r.png")))
    assert fields["PersAcc"] == NUMBER
    assert fields["Sum"] == str(qr.kopecks(invoice.total))
    assert fields["PaymPeriod"] == "102026"
    assert fields["PersonalAcc"] == world["supplier"].settlement_account
    assert fields["BIC"] == world["supplier"].bic and fields["TechCode"] == "02"


def test_the_same_data_gives_the_same_bytes(world):
    with tenant_scope(world["alpha"]):
        invoice = loaded(world["invoice"])
        charges = receipts.receipt_charges(invoice)
        first = receipts.render_receipt_pdf(invoice, charges)
        second = receipts.render_receipt_pdf(loaded(world["invoice"]), receipts.receipt_charges(invoice))
        assert first == second
        # and the stored file is those bytes too
        invoice, _rendered = receipts.render_receipt(invoice.pk)
        assert storages["private"].open(invoice.receipt.name).read() == first


def test_a_supplier_without_payee_details_gets_a_receipt_without_qr_code(tenants):
    alpha, _beta = tenants
    supplier = SupplierFactory(tenant=alpha, name="Поставщик без реквизитов")
    made = invoice_with_charges(supplier, "5500000001", services=2)
    with tenant_scope(alpha):
        invoice = loaded(made["invoice"])
        charges = receipts.receipt_charges(invoice)
        context = receipts.receipt_context(invoice, charges, source="x")
        assert context["qr_svg"] is None and not context["has_payee"]
        text = pdf_text(receipts.render_receipt_pdf(invoice, charges))
    assert "Реквизиты для оплаты недоступны" in text
    assert "QR-код для оплаты недоступен" in text
    assert "5500000001" in text and "газ" in text


def test_the_source_hash_follows_what_the_receipt_shows(world):
    with tenant_scope(world["alpha"]):
        invoice = loaded(world["invoice"])
        charges = receipts.receipt_charges(invoice)
        source = receipts.receipt_source_hash(invoice, charges)
        assert len(source) == 64 and source == receipts.receipt_source_hash(loaded(invoice), charges)
        charges[0].recalculation_reason = "Другое основание"
        assert receipts.receipt_source_hash(invoice, charges) != source
        invoice.account.supplier.bank_name = "БАНК ВТБ (ПАО)"
        assert receipts.receipt_source_hash(invoice, receipts.receipt_charges(invoice)) != source
        invoice = loaded(world["invoice"])
        invoice.account.address = "другой адрес"
        assert receipts.receipt_source_hash(invoice, receipts.receipt_charges(invoice)) != source


def files_in(directory):
    return sorted(path.name for path in directory.rglob("*.pdf"))


def test_a_changed_charge_renders_again_and_the_old_file_goes(world, private_dir, django_capture_on_commit_callbacks):
    with tenant_scope(world["alpha"]):
        with django_capture_on_commit_callbacks(execute=True):
            first, rendered = receipts.render_receipt(world["invoice"].pk)
        assert rendered and len(files_in(private_dir)) == 1
        old_name, old_source = first.receipt.name, first.receipt_source
        Charge.objects.filter(pk=world["charges"][2].pk).update(charged=Decimal("999.99"), closing_balance=Decimal("999.99"))
        with django_capture_on_commit_callbacks(execute=True):
            second, rendered = receipts.render_receipt(world["invoice"].pk)
        assert rendered
        assert second.receipt_source != old_source and second.receipt.name != old_name
        assert files_in(private_dir) == [second.receipt.name.rsplit("/", 1)[1]]
        assert "999,99" in pdf_text(storages["private"].open(second.receipt.name).read())
        stored = Invoice.objects.get(pk=world["invoice"].pk)
        assert (stored.receipt.name, stored.receipt_source) == (second.receipt.name, second.receipt_source)


def test_a_second_task_run_does_not_render_again(world, private_dir, monkeypatch):
    calls = []
    real = receipts.render_receipt_pdf
    monkeypatch.setattr(receipts, "render_receipt_pdf", lambda *args, **kwargs: calls.append(1) or real(*args, **kwargs))
    tasks.render_receipt.delay(tenant_id=world["alpha"].pk, invoice_id=world["invoice"].pk)
    with tenant_scope(world["alpha"]):
        first = Invoice.objects.get(pk=world["invoice"].pk)
    tasks.render_receipt.delay(tenant_id=world["alpha"].pk, invoice_id=world["invoice"].pk)
    with tenant_scope(world["alpha"]):
        second = Invoice.objects.get(pk=world["invoice"].pk)
    assert len(calls) == 1
    assert first.receipt_rendered_at == second.receipt_rendered_at and first.receipt.name == second.receipt.name
    assert len(files_in(private_dir)) == 1


def test_a_missing_file_is_rendered_again(world, private_dir):
    with tenant_scope(world["alpha"]):
        invoice, _rendered = receipts.render_receipt(world["invoice"].pk)
        storages["private"].delete(invoice.receipt.name)
        again, rendered = receipts.render_receipt(world["invoice"].pk)
    assert rendered and again.receipt.name == invoice.receipt.name and len(files_in(private_dir)) == 1


def test_a_task_for_another_tenants_invoice_finds_nothing(world):
    tasks.render_receipt.delay(tenant_id=world["alpha"].pk, invoice_id=world["beta_invoice"].pk)
    with tenant_scope(world["beta"]):
        assert not Invoice.objects.get(pk=world["beta_invoice"].pk).receipt


@pytest.mark.django_db(transaction=True)
def test_two_tasks_at_once_render_once(tenants, tmp_path, monkeypatch):
    """Two workers take the same invoice at the same moment: the row lock makes the second
    wait, and it then finds the receipt current."""
    alpha, _beta = tenants
    supplier = SupplierFactory(tenant=alpha, **payee_details("ryazan"))
    invoice = invoice_with_charges(supplier, NUMBER)["invoice"]
    calls = []
    real = receipts.render_receipt_pdf

    def slow(*args, **kwargs):
        calls.append(1)
        result = real(*args, **kwargs)
        threading.Event().wait(0.3)  # hold the lock while the other worker arrives
        return result

    monkeypatch.setattr(receipts, "render_receipt_pdf", slow)
    start = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            start.wait()
            with tenant_scope(alpha):
                results.append(receipts.render_receipt(invoice.pk)[1])
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sorted(results) == [False, True] and len(calls) == 1
    assert len(files_in(tmp_path / "private")) == 1


# --- The views ----------------------------------------------------------------------------------

def receipt_urls(invoice_id):
    return [f"/invoices/{invoice_id}/receipt/", f"/invoices/{invoice_id}/receipt/wait/",
            f"/invoices/{invoice_id}/receipt/status/"]


def test_the_owner_waits_then_downloads_the_receipt(world, tenant_client):
    client = tenant_client(world["alpha"])
    client.force_login(world["owner"])
    invoice_id = world["invoice"].pk
    assert client.get(f"/invoices/{invoice_id}/receipt/status/").json() == {
        "ready": False, "url": f"/invoices/{invoice_id}/receipt/"}
    # The status request queued the task, which ran (eagerly) after the request's commit.
    response = client.get(f"/invoices/{invoice_id}/receipt/wait/")
    page = response.content.decode()
    assert "Квитанция готова" in page and f'href="/invoices/{invoice_id}/receipt/"' in page
    response = client.get(f"/invoices/{invoice_id}/receipt/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="kvitanciya-{NUMBER}-2026-10.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    data = b"".join(response.streaming_content)
    assert NUMBER in pdf_text(data)
    assert client.get(f"/invoices/{invoice_id}/receipt/status/").json()["ready"] is True


def test_while_it_renders_the_page_says_so_and_refreshes(world, tenant_client, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.render_receipt, "delay", lambda **kwargs: queued.append(kwargs))
    client = tenant_client(world["alpha"])
    client.force_login(world["owner"])
    invoice_id = world["invoice"].pk
    response = client.get(f"/invoices/{invoice_id}/receipt/")
    assert response.status_code == 302 and response.url == f"/invoices/{invoice_id}/receipt/wait/"
    page = client.get(response.url).content.decode()
    assert "Квитанция формируется…" in page
    # A script asks the status (no meta refresh, which restarts a screen reader), one without script refreshes.
    assert f'data-receipt-poll="/invoices/{invoice_id}/receipt/status/"' in page
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert "<script" not in page.split("</head>")[0]
    # Refreshing queues nothing more while the first task is on its way.
    client.get(f"/invoices/{invoice_id}/receipt/wait/")
    assert queued == [{"tenant_id": world["alpha"].pk, "invoice_id": invoice_id}]


def test_a_changed_charge_is_not_served_from_the_old_file(world, tenant_client):
    client = tenant_client(world["alpha"])
    client.force_login(world["owner"])
    invoice_id = world["invoice"].pk
    client.get(f"/invoices/{invoice_id}/receipt/")  # renders after the request
    assert client.get(f"/invoices/{invoice_id}/receipt/").status_code == 200
    with scopes_disabled():
        Charge.objects.filter(pk=world["charges"][0].pk).update(recalculation_reason="Новое основание")
    response = client.get(f"/invoices/{invoice_id}/receipt/")
    assert response.status_code == 302
    response = client.get(f"/invoices/{invoice_id}/receipt/")
    assert response.status_code == 200 and "Новое основание" in pdf_text(b"".join(response.streaming_content))


def test_a_basic_link_is_sent_to_the_control_question(world, tenant_client):
    client = tenant_client(world["alpha"])
    client.force_login(world["basic"])
    for url in receipt_urls(world["invoice"].pk):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url == f"/personal/{world['account'].pk}/extended/"


def test_every_receipt_url_is_404_for_anyone_but_the_accounts_users(world, tenant_client):
    invoice_id = world["invoice"].pk
    missing_id = invoice_id + 10_000
    neighbour = tenant_client(world["alpha"])
    neighbour.force_login(world["neighbour"])
    beta = tenant_client(world["beta"])
    beta.force_login(world["beta_user"])
    owner = tenant_client(world["alpha"])
    owner.force_login(world["owner"])
    anonymous = tenant_client(world["alpha"])
    for url, missing in zip(receipt_urls(invoice_id), receipt_urls(missing_id)):
        assert neighbour.get(url).status_code == 404, url
        assert beta.get(url).status_code == 404, url  # another tenant's user, on their host
        assert owner.get(missing).status_code == 404, url
        response = anonymous.get(url)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/"), url
    # The owner's session on another tenant's host is no session there; and beta's own invoice
    # is not reachable from alpha's host, even by its owner id.
    for url in receipt_urls(world["beta_invoice"].pk):
        assert owner.get(url).status_code == 404, url
    assert tenant_client(world["beta"]).get(receipt_urls(world["beta_invoice"].pk)[0]).status_code == 302
    assert tenant_client(None).get(receipt_urls(invoice_id)[0]).status_code in (302, 404)


def test_a_receipts_queries_do_not_grow_with_its_charges(world, tenant_client):
    few = invoice_with_charges(world["supplier"], "6200000001", services=1, user=world["owner"])["invoice"]
    client = tenant_client(world["alpha"])
    client.force_login(world["owner"])

    def queries(invoice_id):
        client.get(f"/invoices/{invoice_id}/receipt/")  # queues and renders
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/invoices/{invoice_id}/receipt/")
            assert response.status_code == 200
            b"".join(response.streaming_content)
        return len(captured)

    assert queries(few.pk) == queries(world["invoice"].pk)


# --- Attacks: markup in billing's data -----------------------------------------------------------


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
