"""Applications (issue 12, item 4): a contract application at mef (guide 003: objects, then
documents), a grid-connection application at rosseti (guide 001: only in an activated personal
account); drafts resumed later, at most five documents, sent to staff as new."""

import struct
import threading
import zlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.factories import UserFactory
from appeals.applications import services as applications
from appeals.factories import TINY_PDF, contract_customer
from appeals.models import Appeal, ApplicationObject, Attachment, Message
from portal.scoping import scopes_disabled, tenant_scope
from portal.testing import host_of, multipart, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_files_in_tmp(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "private")},
    }}


def pdf(name="договор.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n",
                              content_type="application/pdf")


def png(name="план.png"):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    body = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))
    return SimpleUploadedFile(name, body, content_type="image/png")


def html_named_pdf():
    return SimpleUploadedFile("счёт.pdf", b"<!doctype html><html><script>alert(1)</script></html>",
                              content_type="application/pdf")


def customer(tenant, tenant_client, **fields):
    user = UserFactory(tenant=tenant, **fields)
    client = tenant_client(tenant)
    client.force_login(user)
    return user, client


def application(public_id):
    with scopes_disabled():
        return Appeal.objects.get(public_id=public_id)


def applications_of(user):
    with scopes_disabled():
        return list(Appeal.objects.filter(author=user))


def objects_of(appeal):
    with scopes_disabled():
        return [(item.address, item.purpose) for item in ApplicationObject.objects.filter(appeal=appeal)]


def documents_of(appeal):
    with scopes_disabled():
        return list(Attachment.objects.filter(appeal=appeal).order_by("pk"))


def contract_data(objects, subscriber_type="individual", **extra):
    data = {"subscriber_type": subscriber_type, "objects-count": str(len(objects)), **extra}
    for index, (address, purpose) in enumerate(objects):
        data[f"objects-{index}-address"] = address
        data[f"objects-{index}-purpose"] = purpose
    return data


HOUSE = ("г. Москва, ул. Лесная, д. 5", "Жилой дом")
SHOP = ("г. Москва, ул. Тверская, д. 1", "Магазин")
GARAGE = ("г. Москва, ул. Лесная, д. 5, гараж 3", "Гараж")
GRID = {"applicant": "Петров Пётр Петрович", "object_address": "Московская обл., д. Ивановка, уч. 12",
        "max_power_kw": "15", "voltage": "0.4", "reliability": "3"}


@pytest.fixture
def mef(demo_tenants, tenant_client):
    return customer(demo_tenants["mef"], tenant_client)


@pytest.fixture
def rosseti(demo_tenants, tenant_client):
    return customer(demo_tenants["rosseti"], tenant_client)


def test_a_contract_application_is_a_draft_of_objects_then_documents_then_sent(mef):
    user, client = mef
    page = text_of(client.get("/applications/contract/"))
    assert "Тип абонента" in page and "Объект 1" in page and 'enctype' not in page

    # «Добавить объект»: a second row, what was typed kept, nothing saved yet.
    response = client.post("/applications/contract/", contract_data([HOUSE], "legal", action="add"))
    page = text_of(response)
    assert response.status_code == 200 and "Объект 2" in page and HOUSE[0] in page
    assert 'value="legal" id="id_subscriber_type_1" required checked' in page
    assert 'name="objects-1-address" autocomplete="off" maxlength="500" autofocus' in page
    assert applications_of(user) == []

    # Refused rows keep what was typed, each error tied to its field.
    response = client.post("/applications/contract/", contract_data([HOUSE, (SHOP[0], "")], subscriber_type=""))
    page = text_of(response)
    assert "Выберите тип абонента" in page and "Укажите назначение объекта." in page
    assert SHOP[0] in page and 'aria-describedby="id_objects-1-purpose_helptext id_objects-1-purpose_error"' in page
    assert applications_of(user) == []
    # No object at all (the empty rows are dropped): one is needed.
    response = client.post("/applications/contract/", contract_data([("", ""), (" ", "")]))
    assert "Добавьте хотя бы один объект" in text_of(response)

    # Two objects: a draft of the user's, and on to the documents.
    response = client.post("/applications/contract/", contract_data([HOUSE, SHOP], "legal"))
    [appeal] = applications_of(user)
    assert response.status_code == 302 and response["Location"] == f"/applications/{appeal.public_id}/documents/"
    assert (appeal.kind, appeal.status, appeal.subscriber_type, appeal.submitted_at) == ("contract", "draft", "legal",
                                                                                          None)
    assert objects_of(appeal) == [HOUSE, SHOP]

    # Resumed later: the draft's rows shown; «Удалить» drops one, the rest kept.
    page = text_of(client.get(f"/applications/{appeal.public_id}/contract/"))
    assert HOUSE[0] in page and SHOP[1] in page and "Удалить объект 2" in page
    page = text_of(client.post(f"/applications/{appeal.public_id}/contract/",
                               contract_data([HOUSE, SHOP], "legal", remove="0")))
    assert SHOP[0] in page and HOUSE[0] not in page and "Объект 2" not in page
    response = client.post(f"/applications/{appeal.public_id}/contract/",
                           contract_data([SHOP, GARAGE], "individual"))
    assert response.status_code == 302
    assert objects_of(appeal) == [SHOP, GARAGE] and application(appeal.public_id).subscriber_type == "individual"
    assert len(applications_of(user)) == 1

    documents_page = f"/applications/{appeal.public_id}/documents/"
    page = text_of(client.get(documents_page))
    assert 'enctype="multipart/form-data"' in page and SHOP[0] in page and "Приложите хотя бы один документ" in page

    # An HTML page named .pdf is refused with a message; nothing attached.
    response = client.post(documents_page, {"documents": [html_named_pdf()]})
    assert response.status_code == 200 and "такой формат не принимается" in text_of(response)
    assert documents_of(appeal) == []
    response = client.post(documents_page, {"documents": [pdf(), png()]})
    assert response.status_code == 302
    assert [(item.name, item.content_type) for item in documents_of(appeal)] == [
        ("договор.pdf", "application/pdf"), ("план.png", "image/png")]
    assert "договор.pdf" in text_of(client.get(documents_page))

    response = client.post(f"/applications/{appeal.public_id}/submit/")
    assert response.status_code == 302 and response["Location"] == f"/appeals/{appeal.public_id}/"
    appeal = application(appeal.public_id)
    assert appeal.status == "new" and appeal.submitted_at is not None
    assert objects_of(appeal) == [SHOP, GARAGE] and len(documents_of(appeal)) == 2
    # Its thread starts with the application, its documents with it.
    with scopes_disabled():
        [message] = Message.objects.filter(appeal=appeal)
    assert message.author == user and not message.from_staff
    assert "Тип абонента: физическое лицо." in message.text and f"2. {GARAGE[0]} — {GARAGE[1]}" in message.text
    assert {item.message_id for item in documents_of(appeal)} == {message.pk}

    # Sent: no longer changed; its pages lead to its thread.
    for path in (f"/applications/{appeal.public_id}/contract/", documents_page):
        assert client.get(path)["Location"] == f"/appeals/{appeal.public_id}/"
    client.post(documents_page, {"documents": [pdf("ещё.pdf")]})
    client.post(f"/applications/{appeal.public_id}/contract/", contract_data([HOUSE]))
    assert len(documents_of(appeal)) == 2 and objects_of(appeal) == [SHOP, GARAGE]
    with pytest.raises(applications.ApplicationRefused), tenant_scope(user.tenant):
        applications.documents_add(appeal, user=user, files=[])

    page = text_of(client.get("/applications/"))
    assert f"Заявка на заключение договора № {appeal.number}" in page and "отправлена" in page


def test_a_draft_without_documents_is_not_sent(mef):
    user, client = mef
    client.post("/applications/contract/", contract_data([HOUSE]))
    [appeal] = applications_of(user)
    response = client.post(f"/applications/{appeal.public_id}/submit/", follow=True)
    assert "Приложите хотя бы один документ" in text_of(response)
    assert application(appeal.public_id).status == "draft"

    page = text_of(client.get("/applications/"))
    assert "черновик" in page and f"/applications/{appeal.public_id}/documents/" in page


def test_grid_power_is_checked_with_clear_messages_and_nothing_typed_is_lost(rosseti):
    user, client = rosseti
    page = text_of(client.get("/applications/grid/"))
    assert "Максимальная мощность, кВт" in page and "Категория надёжности" in page and "<legend>" in page
    cases = {
        "0": "Мощность должна быть больше нуля.",
        "-1": "Мощность должна быть больше нуля.",
        "abc": "Введите мощность числом",
        "1e9": "Введите мощность числом",
        1e9: "Мощность не больше 100 000 кВт",
        "100000,01": "Мощность не больше 100 000 кВт",
        "NaN": "Введите мощность числом",
        "": "Укажите максимальную мощность",
        "1,234": "Не больше двух знаков после запятой.",
    }
    for power, message in cases.items():
        response = client.post("/applications/grid/", {**GRID, "max_power_kw": power})
        page = text_of(response)
        assert response.status_code == 200 and message in page, power
        assert GRID["applicant"] in page and GRID["object_address"] in page
        assert 'aria-describedby="id_max_power_kw_helptext id_max_power_kw_error"' in page
    for field, value, message in (("voltage", "9", "Выберите уровень напряжения из списка."),
                                  ("reliability", "9", "Выберите категорию надёжности из списка."),
                                  ("applicant", " ", "Укажите заявителя")):
        assert message in text_of(client.post("/applications/grid/", {**GRID, field: value}))
    assert applications_of(user) == []

    response = client.post("/applications/grid/", {**GRID, "max_power_kw": "15,5"})
    [appeal] = applications_of(user)
    assert response["Location"] == f"/applications/{appeal.public_id}/documents/"
    assert (appeal.kind, appeal.status, appeal.max_power_kw, appeal.voltage, appeal.reliability) == (
        "grid", "draft", Decimal("15.50"), "0.4", "3")
    assert "15,5" in text_of(client.get(f"/applications/{appeal.public_id}/grid/"))
    client.post(f"/applications/{appeal.public_id}/grid/", {**GRID, "max_power_kw": "100 000"})
    assert application(appeal.public_id).max_power_kw == Decimal("100000")

    # Files chosen on the documents page go with «Отправить заявку»; a bad one stops it.
    submit = f"/applications/{appeal.public_id}/submit/"
    response = client.post(submit, {"documents": [pdf(), html_named_pdf()]})
    assert response.status_code == 200 and "такой формат не принимается" in text_of(response)
    assert application(appeal.public_id).status == "draft" and documents_of(appeal) == []
    response = client.post(submit, {"documents": [pdf()]})
    assert response["Location"] == f"/appeals/{appeal.public_id}/"
    appeal = application(appeal.public_id)
    assert appeal.status == "new" and len(documents_of(appeal)) == 1
    with scopes_disabled():
        text = Message.objects.get(appeal=appeal).text
    assert "Максимальная мощность: 100000 кВт" in text and "Категория надёжности: III категория" in text


def test_an_account_not_activated_is_offered_nothing_and_refused(demo_tenants, tenant_client, rosseti):
    user, client = customer(demo_tenants["rosseti"], tenant_client,
                            activation_deadline=timezone.now() + timedelta(hours=24))
    response = client.get("/applications/grid/")
    page = text_of(response)
    assert response.status_code == 403 and "только в активированном личном кабинете" in page
    assert "Подтвердите e-mail" in page and 'name="max_power_kw"' not in page
    assert client.post("/applications/grid/", GRID).status_code == 403
    assert applications_of(user) == []
    page = text_of(client.get("/applications/"))
    assert "/applications/grid/" not in page and "только в активированном личном кабинете" in page

    # A draft from before (activation is required again, say): its documents are refused too.
    other, other_client = rosseti
    other_client.post("/applications/grid/", GRID)
    [draft] = applications_of(other)
    with scopes_disabled():  # through save(): the session's user is cached until a save (accounts.backends)
        other.activation_deadline = timezone.now() + timedelta(hours=1)
        other.save(update_fields=["activation_deadline"])
    assert other_client.post(f"/applications/{draft.public_id}/documents/", {"documents": [pdf()]}).status_code == 403
    assert other_client.post(f"/applications/{draft.public_id}/submit/").status_code == 403
    assert documents_of(draft) == [] and application(draft.public_id).status == "draft"
    other.refresh_from_db()
    with pytest.raises(applications.ApplicationRefused), tenant_scope(other.tenant):
        applications.grid_draft_save(tenant=other.tenant, author=other, max_power_kw=Decimal("5"),
                                     **{key: value for key, value in GRID.items() if key != "max_power_kw"})


@pytest.mark.parametrize("slug", ["gaz", "rgmek"])
def test_a_tenant_that_offers_no_applications_has_no_such_pages(demo_tenants, tenant_client, slug):
    _user, client = customer(demo_tenants[slug], tenant_client)
    for path in ("/applications/", "/applications/contract/", "/applications/grid/"):
        assert client.get(path).status_code == 404, path
    assert client.post("/applications/contract/", contract_data([HOUSE])).status_code == 404


def test_each_tenant_offers_only_its_kind(mef, rosseti):
    assert mef[1].get("/applications/grid/").status_code == 404
    assert rosseti[1].get("/applications/contract/").status_code == 404
    assert "Новая заявка на заключение договора" in text_of(mef[1].get("/applications/"))
    assert "Новая заявка на технологическое присоединение" in text_of(rosseti[1].get("/applications/"))


def test_another_customers_or_another_tenants_application_is_a_404(demo_tenants, tenant_client, mef, rosseti):
    owner, owner_client = mef
    owner_client.post("/applications/contract/", contract_data([HOUSE]))
    [draft] = applications_of(owner)
    owner_client.post(f"/applications/{draft.public_id}/documents/", {"documents": [pdf()]})
    [document] = documents_of(draft)
    neighbour, neighbour_client = customer(demo_tenants["mef"], tenant_client)
    _stranger, stranger_client = rosseti
    for client in (neighbour_client, stranger_client):
        for path in (f"/applications/{draft.public_id}/contract/", f"/applications/{draft.public_id}/grid/",
                     f"/applications/{draft.public_id}/documents/"):
            assert client.get(path).status_code == 404, path
        assert client.post(f"/applications/{draft.public_id}/submit/").status_code == 404
        assert client.post(f"/applications/{draft.public_id}/documents/", {"remove": document.pk}).status_code == 404
        assert client.post(f"/applications/{draft.public_id}/documents/", {"documents": [pdf()]}).status_code == 404
        assert client.post(f"/applications/{draft.public_id}/contract/", contract_data([SHOP])).status_code == 404
    assert f"№ {draft.number}" not in text_of(neighbour_client.get("/applications/"))
    # Nor is another's document reached through one's own draft.
    neighbour_client.post("/applications/contract/", contract_data([SHOP]))
    [own] = applications_of(neighbour)
    response = neighbour_client.post(f"/applications/{own.public_id}/documents/", {"remove": document.pk}, follow=True)
    assert "Такого документа в заявке нет." in text_of(response)
    # The owner's own contract draft is not a grid application either.
    assert owner_client.get(f"/applications/{draft.public_id}/grid/").status_code == 404
    assert application(draft.public_id).status == "draft" and objects_of(draft) == [HOUSE]
    assert len(documents_of(draft)) == 1


def test_at_most_five_documents_in_all(mef):
    user, client = mef
    client.post("/applications/contract/", contract_data([HOUSE]))
    [appeal] = applications_of(user)
    page = f"/applications/{appeal.public_id}/documents/"
    response = client.post(page, {"documents": [pdf(f"{index}.pdf") for index in range(6)]})
    assert "не больше 5 документов" in text_of(response) and documents_of(appeal) == []
    assert client.post(page, {"documents": [pdf("1.pdf"), png("2.png"), pdf("3.pdf")]}).status_code == 302
    response = client.post(page, {"documents": [pdf("4.pdf"), pdf("5.pdf"), pdf("6.pdf")]})
    assert "уже приложено 3, можно добавить ещё 2" in text_of(response) and len(documents_of(appeal)) == 3
    assert client.post(page, {"documents": [pdf("4.pdf"), pdf("5.pdf")]}).status_code == 302
    assert "больше нельзя" in text_of(client.get(page))

    response = client.post(page, {"documents": [pdf("6.pdf")]})
    assert "все 5 уже приложены" in text_of(response) and len(documents_of(appeal)) == 5
    response = client.post(f"/applications/{appeal.public_id}/submit/", {"documents": [pdf("6.pdf")]})
    assert response.status_code == 200 and application(appeal.public_id).status == "draft"
    with pytest.raises(applications.ApplicationRefused), tenant_scope(user.tenant):  # the server counts too
        from appeals.attachments import check_files

        applications.documents_add(appeal, user=user, files=check_files([pdf("6.pdf")]))
    assert len(documents_of(appeal)) == 5

    # Removing one makes room again; its file goes with it.
    first = documents_of(appeal)[0]
    storage, name = first.file.storage, first.file.name
    assert storage.exists(name)
    response = client.post(page, {"remove": first.pk}, follow=True)
    assert "Документ «1.pdf» удалён." in text_of(response)
    assert len(documents_of(appeal)) == 4 and not storage.exists(name)
    assert client.post(page, {"documents": [pdf("6.pdf")]}).status_code == 302
    assert len(documents_of(appeal)) == 5


def test_a_page_of_an_application_needs_a_signed_in_customer(demo_tenants, tenant_client):
    client = tenant_client(demo_tenants["mef"])
    response = client.get("/applications/contract/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- Attacks: a row or document number to remove, a body without bounds, two tabs at once --------


@pytest.mark.django_db
@pytest.mark.parametrize("remove", ["²", "9" * 5000])
@pytest.mark.parametrize("page", ["contract", "documents"])
def test_an_odd_row_or_document_number_to_remove_is_no_server_error(tenants, tenant_client, page, remove):
    alpha, _beta = tenants
    client = tenant_client(alpha)
    _user, draft = contract_customer(alpha, client)
    url = (f"/applications/{draft.public_id}/contract/" if page == "contract"
           else f"/applications/{draft.public_id}/documents/")
    data = {"subscriber_type": "individual", "objects-count": "2", "objects-0-address": "a",
            "objects-0-purpose": "b", "objects-1-address": "c", "objects-1-purpose": "d", "remove": remove}
    response = client.post(url, data)
    assert response.status_code in (200, 302)
    with scopes_disabled():
        assert Appeal.objects.get(pk=draft.pk).status == Appeal.Status.DRAFT


@pytest.mark.django_db
def test_an_oversized_body_is_refused_before_it_is_stored(tenants):
    alpha, _beta = tenants
    body, content_type = multipart({"name": "x", "email": "x@example.com", "text": "x"},
                                   [("file", "big.pdf", b"%PDF-1.4\n" + b"\0" * (80 * 1024 * 1024))])
    response = Client(HTTP_HOST=host_of(alpha)).generic("POST", "/support/question/", body,
                                                        content_type=content_type)
    assert response.status_code in (400, 413)
    with scopes_disabled():
        assert not Appeal.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_tabs_uploading_and_sending_at_once_keep_five_documents_and_one_summary(tenants):
    alpha, _beta = tenants
    client = Client(HTTP_HOST=host_of(alpha))
    _user, draft = contract_customer(alpha, client)
    cookies = client.cookies

    def at_once(url, files_per_tab):
        start = threading.Barrier(2)
        statuses = []

        def tab(number):
            try:
                tab_client = Client(HTTP_HOST=host_of(alpha))
                tab_client.cookies = cookies
                start.wait(5)
                body, content_type = multipart({}, [("documents", f"д{number}-{index}.pdf", TINY_PDF)
                                                    for index in range(files_per_tab)])
                statuses.append(tab_client.generic("POST", url, body, content_type=content_type).status_code)
            finally:
                connection.close()

        threads = [threading.Thread(target=tab, args=(number,)) for number in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        return statuses

    at_once(f"/applications/{draft.public_id}/documents/", 3)
    with scopes_disabled():
        assert Attachment.objects.filter(appeal=draft).count() == 3
    at_once(f"/applications/{draft.public_id}/submit/", 1)
    with scopes_disabled():
        sent = Appeal.objects.get(pk=draft.pk)
        assert sent.status == Appeal.Status.NEW
        assert Message.objects.filter(appeal=sent).count() == 1
        assert Attachment.objects.filter(appeal=sent).count() <= applications.MAX_DOCUMENTS
        assert not Attachment.objects.filter(appeal=sent, message__isnull=True).exists()
