"""Attacks on appeals, support questions and applications that are worth keeping.

Each says what must hold: the attacks that worked once stay mended, those that held stay held.
"""

import contextlib
import threading
import uuid

import pytest
from django.db import connection
from django.test import Client

from accounts.factories import UserFactory
from appeals.applications import services as applications
from appeals.factories import TINY_PDF
from appeals.models import Appeal, AppealsPolicy, Attachment, Message
from portal.scoping import scopes_disabled, tenant_scope

from .test_admin import staff_of


def host_of(tenant):
    return f"{tenant.slug}.localhost"


def contract_customer(tenant, client):
    """A customer of ``tenant`` (which takes contract applications) signed in on ``client``,
    with a draft contract application: (user, draft)."""
    with tenant_scope(tenant):
        AppealsPolicy.objects.get_or_create(tenant=tenant, defaults={"contract_applications": True})
    user = UserFactory(tenant=tenant)
    client.force_login(user)
    with tenant_scope(tenant):
        draft = applications.contract_draft_save(tenant=tenant, author=user, subscriber_type="individual",
                                                 objects=[("г. Рязань, ул. Садовая, 1", "жилой дом")])
    return user, draft


def multipart(fields, files=(), boundary="AttackBoundary"):
    """A multipart/form-data body: ``fields`` {name: value}, ``files`` [(field, name, bytes)]."""
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for field, name, content in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
                     f"Content-Type: application/pdf\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


# --- 5xx: «remove» parsed with str.isdigit() then int() ----------------------------------------


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


# --- Request bodies: nothing bounds them ---------------------------------------------------------


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


# --- The visitor's captcha: single use is not atomic -------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_one_solved_captcha_sent_twice_at_once_makes_one_question(tenants, monkeypatch):
    from captcha.models import CaptchaStore

    alpha, _beta = tenants
    key = CaptchaStore.generate_key()
    answer = CaptchaStore.objects.get(hashkey=key).response
    # Both requests have read the store before either deletes it (what two workers do when
    # the requests arrive together); a consume that is one statement never calls this.
    arrived = threading.Barrier(2)
    delete = CaptchaStore.delete

    def delete_together(store, *args, **kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):  # the other request never came
            arrived.wait(3)
        return delete(store, *args, **kwargs)

    monkeypatch.setattr(CaptchaStore, "delete", delete_together)
    statuses = []

    def visitor(number):
        try:
            response = Client(HTTP_HOST=host_of(alpha)).post("/support/question/", {
                "name": f"Гость {number}", "email": "victim@example.com", "text": "Вопрос",
                "captcha_0": key, "captcha_1": answer, "token": str(uuid.uuid4())})
            statuses.append(response.status_code)
        except Exception as error:  # noqa: BLE001 - recorded, the assertion below tells
            statuses.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=visitor, args=(number,)) for number in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(map(str, statuses)) == ["200", "302"]
    with scopes_disabled():
        assert Appeal.objects.filter(kind=Appeal.Kind.SUPPORT).count() == 1


# --- The admin's queue filters: a NUL byte is a 500 ----------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("parameter", ["status", "kind"])
def test_a_nul_byte_in_the_queues_filter_is_no_server_error(tenants, tenant_client, admin_login, parameter):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite stores NUL bytes; PostgreSQL refuses them")
    alpha, _beta = tenants
    client = tenant_client(alpha)
    admin_login(client, staff_of(alpha))
    response = client.get("/admin/appeals/appeal/", {parameter: "\x00"})
    assert response.status_code in (200, 302, 400)


# --- Held: documents and sending under concurrency ---------------------------------------------


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


# --- Held: attachment ids are no way into another's files ---------------------------------------


@pytest.mark.django_db
def test_attachment_ids_of_another_customer_or_tenant_are_all_404(tenants, tenant_client):
    alpha, beta = tenants
    alpha_client, beta_client, other_client = tenant_client(alpha), tenant_client(beta), tenant_client(alpha)
    _owner, draft = contract_customer(alpha, alpha_client)
    _beta_owner, beta_draft = contract_customer(beta, beta_client)
    contract_customer(alpha, other_client)
    for client, appeal in ((alpha_client, draft), (beta_client, beta_draft)):
        body, content_type = multipart({}, [("documents", "счёт.pdf", TINY_PDF)])
        assert client.generic("POST", f"/applications/{appeal.public_id}/documents/", body,
                              content_type=content_type).status_code == 302
    with scopes_disabled():
        ids = list(Attachment.objects.values_list("pk", flat=True))
        own = Attachment.objects.get(appeal=draft).pk
    assert alpha_client.get(f"/appeals/files/{own}/")["Content-Disposition"].startswith("attachment")
    for attachment_id in [*ids, max(ids) + 1, 0, 2**63, 10**30]:
        assert other_client.get(f"/appeals/files/{attachment_id}/").status_code == 404
        if attachment_id != own:
            assert alpha_client.get(f"/appeals/files/{attachment_id}/").status_code == 404
