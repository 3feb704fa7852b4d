"""The customer's appeal pages (issue 12, items 1-3 and 5): a new appeal with its topic,
account and files, the thread both ways, the unread counter, replies and «Возобновить», the
author's downloads, questions to support from visitors and customers, rate limits, and the
same 404 for everyone who is not the author."""

import contextlib
import re
import threading
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from accounts.factories import UserFactory
from appeals import demo, services
from appeals.attachments import MAX_BYTES
from appeals.models import Appeal, Attachment, Topic
from billing.factories import link
from meters.factories import make_account
from portal.scoping import scopes_disabled, tenant_scope
from portal.testing import host_of, text_of

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


@pytest.fixture(autouse=True)
def _private_files_in_tmp(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "private")},
    }}


@pytest.fixture
def author(gas, consumer):
    """The consumer with one linked account, the tenants' topics seeded:
    (user, client, account, topic)."""
    alpha, beta, supplier = gas
    demo.seed([alpha, beta])
    user, client = consumer
    account = make_account(supplier, "23185952", periods=0, meters=0)
    link(user, account)
    with scopes_disabled():
        topic = Topic.objects.get(tenant=alpha, name="Общие вопросы")
    return user, client, account, topic


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def create(client, topic, *, account=None, text="Прошу пересчитать начисления.", files=()):
    data = {"topic": topic.pk, "account": account.pk if account else "", "text": text}
    if files:
        data["files"] = list(files)
    return client.post("/appeals/new/", data)


def appeal_from(response):
    match = re.search(r"/appeals/([0-9a-f-]{36})/", response["Location"])
    with scopes_disabled():
        return Appeal.objects.get(public_id=match.group(1))


def staff_answer(appeal, capture, text="Начисления пересчитаны.", **options):
    with scopes_disabled():
        staff = UserFactory(tenant=appeal.tenant, is_staff=True)
    with tenant_scope(appeal.tenant), capture(execute=True):
        return services.appeal_answer(Appeal.objects.get(pk=appeal.pk), staff=staff, text=text, **options)


def status_of(appeal):
    with scopes_disabled():
        return Appeal.objects.get(pk=appeal.pk).status


@pytest.mark.django_db
def test_an_appeal_with_a_topic_an_account_and_two_files_shows_in_the_list_and_its_thread(author):
    user, client, account, topic = author
    page = text_of(client.get("/appeals/new/"))
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page and "multiple" in page
    assert "Общие вопросы" in page and "Вопрос в техподдержку" not in page.split("<form")[1]  # the support topic
    assert "23185952 · Газ Рязань" in page

    response = create(client, topic, account=account, text="Прошу пересчитать\nначисления за октябрь.",
                      files=[upload("акт сверки.pdf", PDF, "application/pdf"), upload("фото.png", PNG, "image/png")])
    assert response.status_code == 302
    appeal = appeal_from(response)
    with scopes_disabled():
        assert (appeal.author, appeal.topic, appeal.account, appeal.kind, appeal.status) == (
            user, topic, account, Appeal.Kind.APPEAL, Appeal.Status.NEW)
        files = list(appeal.attachments.order_by("pk").values_list("name", "content_type", "size"))
    assert files == [("акт сверки.pdf", "application/pdf", len(PDF)), ("фото.png", "image/png", len(PNG))]

    listing = text_of(client.get("/appeals/"))
    assert f"Обращение № {appeal.number}" in listing and "Общие вопросы" in listing and "Новое" in listing
    assert "Новое обращение" in listing and "счёт № 23185952" in listing and "Отправлено: 1 · получено: 0" in listing

    thread = text_of(client.get(f"/appeals/{appeal.public_id}/"))
    assert f"Обращение № {appeal.number}" in thread and "Вы" in thread and "Прошу пересчитать<br>начисления" in thread
    assert "акт сверки.pdf" in thread and "фото.png" in thread and "байт" in thread  # sizes
    with scopes_disabled():
        first = appeal.attachments.order_by("pk").first()
    assert f'href="/appeals/files/{first.pk}/"' in thread
    assert 'name="text"' in thread and "Возобновить" not in thread


@pytest.mark.django_db
def test_a_refused_file_keeps_everything_else_typed_and_asks_for_the_files_again(author):
    user, client, account, topic = author
    text = "Текст, который нельзя потерять."
    response = create(client, topic, account=account, text=text,
                      files=[upload("счёт.pdf", HTML, "application/pdf"), upload("ok.pdf", PDF)])
    page = text_of(response)
    assert response.status_code == 200
    assert "«счёт.pdf»: такой формат не принимается" in page
    assert text in page and f'<option value="{topic.pk}" selected>' in page
    assert f'<option value="{account.pk}" selected>' in page
    assert "Выберите файлы заново" in page and 'aria-describedby="id_files_helptext id_files_error"' in page

    too_big = upload("скан.pdf", PDF + b"\0" * (MAX_BYTES + 1 - len(PDF)))
    assert "«скан.pdf»: файл больше 10 МБ" in text_of(create(client, topic, text=text, files=[too_big]))

    six = [upload(f"{n}.png", PNG) for n in range(6)]
    assert "Можно приложить не больше 5 файлов" in text_of(create(client, topic, text=text, files=six))
    with scopes_disabled():
        assert not Appeal.objects.exists() and not Attachment.objects.exists()

    # A missing text with good files: the files are lost all the same, and the page says so.
    page = text_of(create(client, topic, text="", files=[upload("ok.pdf", PDF)]))
    assert "Это поле обязательно" in page and "Выберите файлы заново" in page


@pytest.mark.django_db
def test_a_staff_answer_lights_the_menu_counter_until_the_thread_is_opened_and_is_sent_by_email(
        author, outbox, django_capture_on_commit_callbacks):
    user, client, account, topic = author
    appeal = appeal_from(create(client, topic))
    assert "непрочитанных ответов" not in text_of(client.get("/appeals/"))

    staff_answer(appeal, django_capture_on_commit_callbacks)
    listing = text_of(client.get("/appeals/"))
    assert re.search(r'Обращения <span class="badge" aria-hidden="true">1</span>'
                     r'<span class="visually-hidden">, непрочитанных ответов: 1</span>', listing)
    assert "Новый ответ" in listing and "получено: 1" in listing
    mail = outbox.messages(user.email)[0]
    assert f"№ {appeal.number}" in mail.subject and f"/appeals/{appeal.public_id}/" in mail.text

    thread = text_of(client.get(f"/appeals/{appeal.public_id}/"))
    assert "Специалист" in thread and "Начисления пересчитаны." in thread and "Есть ответ" in thread
    assert "непрочитанных ответов" not in thread  # the menu of the opened thread already
    page = text_of(client.get("/appeals/"))
    assert "непрочитанных ответов" not in page and "Новый ответ" not in page


@pytest.mark.django_db
def test_a_reply_with_a_file_takes_an_answered_appeal_back_in_work(author, django_capture_on_commit_callbacks):
    user, client, account, topic = author
    appeal = appeal_from(create(client, topic))
    staff_answer(appeal, django_capture_on_commit_callbacks)
    assert status_of(appeal) == Appeal.Status.ANSWERED
    response = client.post(f"/appeals/{appeal.public_id}/", {"text": "Не согласен.", "files": [upload("a.png", PNG)]})
    assert response.status_code == 302
    assert status_of(appeal) == Appeal.Status.IN_PROGRESS
    thread = text_of(client.get(f"/appeals/{appeal.public_id}/"))
    assert thread.index("Не согласен.") > thread.index("Начисления пересчитаны.") and "a.png" in thread
    assert "В работе" in thread

    refused = text_of(client.post(f"/appeals/{appeal.public_id}/", {"text": "Ещё.", "files": [upload("x.pdf", HTML)]}))
    assert "такой формат не принимается" in refused and "Ещё." in refused


@pytest.mark.django_db
def test_a_closed_appeal_offers_reopening_instead_of_the_reply_form(author, django_capture_on_commit_callbacks):
    user, client, account, topic = author
    appeal = appeal_from(create(client, topic))
    staff_answer(appeal, django_capture_on_commit_callbacks, text="Закрываем.", status=Appeal.Status.CLOSED)
    thread = text_of(client.get(f"/appeals/{appeal.public_id}/"))
    assert "Закрыто" in thread and "Возобновить" in thread and 'name="text"' not in thread
    assert client.get(f"/appeals/{appeal.public_id}/reopen/").status_code == 405
    response = client.post(f"/appeals/{appeal.public_id}/reopen/")
    assert response.status_code == 302 and status_of(appeal) == Appeal.Status.IN_PROGRESS
    assert "возобновлено" in text_of(client.get(response["Location"]))
    # «Возобновить» from a stale page of one in work changes nothing.
    response = client.post(f"/appeals/{appeal.public_id}/reopen/", follow=True)
    assert response.status_code == 200 and "Возобновить можно только закрытое обращение." in text_of(response)
    assert status_of(appeal) == Appeal.Status.IN_PROGRESS


@pytest.mark.django_db
def test_attachments_download_to_their_author_only_and_never_inline(author, gas, tenant_client,
                                                                    django_capture_on_commit_callbacks):
    alpha, beta, _supplier = gas
    user, client, account, topic = author
    # The second is a PNG named and sent as a PDF: it is kept and served as what it is.
    appeal = appeal_from(create(client, topic, files=[upload("письмо.pdf", PDF),
                                                      upload("скан.pdf", PNG, "application/pdf")]))
    staff_answer(appeal, django_capture_on_commit_callbacks, files=[])
    with scopes_disabled():
        pdf, png = appeal.attachments.order_by("pk")

    response = client.get(f"/appeals/files/{pdf.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;") and "filename*=utf-8''" in response[
        "Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF
    response = client.get(f"/appeals/files/{png.pk}/")
    assert response["Content-Type"] == "image/png" and png.name == "скан.png"
    assert response["Content-Disposition"].startswith("attachment;") and ".png" in response["Content-Disposition"]

    # Another customer of the tenant, its staff, and a customer of another tenant: all 404.
    neighbour = tenant_client(alpha)
    neighbour.force_login(UserFactory(tenant=alpha))
    staff = tenant_client(alpha)
    staff.force_login(UserFactory(tenant=alpha, is_staff=True))
    stranger = tenant_client(beta)
    stranger.force_login(UserFactory(tenant=beta))
    for other in (neighbour, staff, stranger):
        assert other.get(f"/appeals/files/{pdf.pk}/").status_code == 404
        assert other.get(f"/appeals/{appeal.public_id}/").status_code == 404
        assert other.post(f"/appeals/{appeal.public_id}/", {"text": "чужое"}).status_code == 404
        assert other.post(f"/appeals/{appeal.public_id}/reopen/").status_code == 404
        assert f"№ {appeal.number}" not in text_of(other.get("/appeals/"))
    assert neighbour.get("/appeals/files/999999/").status_code == 404
    assert neighbour.get("/appeals/00000000-0000-0000-0000-000000000000/").status_code == 404
    # The author's own session on the other tenant's host is no one there.
    response = tenant_client(beta).get(f"/appeals/files/{pdf.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    with scopes_disabled():
        assert Appeal.objects.get(pk=appeal.pk).messages.count() == 2  # nothing was added by the others


@pytest.mark.django_db
@pytest.mark.parametrize("contact", ["visitor@example.com", "+79001234567"])
def test_a_visitor_is_sent_the_answer_itself_and_an_author_without_contacts_the_link(
        contact, author, outbox, django_capture_on_commit_callbacks):
    """A visitor has no personal account to read the answer in: the message carries it (an SMS
    as far as it goes). An author whose login has no e-mail or phone is told at the contact
    given with the appeal, with the link."""
    user, _client, _account, topic = author
    by_phone = contact.startswith("+")
    given = {"contact_phone" if by_phone else "contact_email": contact}
    with tenant_scope(user.tenant):
        question = services.appeal_create(tenant=user.tenant, author=None, kind=Appeal.Kind.SUPPORT,
                                          text="Когда придёт счёт?", **given)
    staff_answer(question, django_capture_on_commit_callbacks, text="Счёт придёт до 5-го числа. " * 40)
    told = outbox.messages(contact)[0].text
    assert f"№ {question.number}" in told and "Счёт придёт до 5-го числа." in told
    assert len(told) < 600 if by_phone else told.count("Счёт придёт") == 40

    with scopes_disabled():
        type(user).objects.filter(pk=user.pk).update(email="", phone="")
        user.refresh_from_db()
    with tenant_scope(user.tenant):
        appeal = services.appeal_create(tenant=user.tenant, author=user, topic=topic, text="Прошу пересчитать.",
                                        **given)
    staff_answer(appeal, django_capture_on_commit_callbacks, text="Пересчитано.")
    told = outbox.messages(contact)[0].text
    assert "Пересчитано." not in told
    assert f"/appeals/{appeal.public_id}/" in told if not by_phone else "в личном кабинете" in told


@pytest.mark.django_db
def test_a_visitor_asks_support_with_a_captcha_and_a_contact(author, gas, tenant_client, captcha_passes):
    alpha, _beta, _supplier = gas
    visitor = tenant_client(alpha)
    assert "/support/question/" in text_of(visitor.get("/support/")) and "Задать вопрос в техподдержку" in text_of(
        visitor.get("/support/"))
    page = text_of(visitor.get("/support/question/"))
    assert 'name="captcha_1"' in page and 'name="email"' in page and 'name="phone"' in page

    base = {"name": "Пётр", "text": "Не приходит код.", "captcha_0": "x", "captcha_1": "PASSED"}
    page = text_of(visitor.post("/support/question/", base))
    assert "Укажите e-mail или телефон" in page and "Не приходит код." in page
    assert "Укажите номер мобильного телефона" in text_of(visitor.post("/support/question/", {**base, "phone": "12"}))
    assert "Неверный ответ" in text_of(visitor.post("/support/question/",
                                                              {**base, "email": "p@example.com", "captcha_1": "no"}))
    with scopes_disabled():
        assert not Appeal.objects.exists()

    response = visitor.post("/support/question/", {**base, "phone": "8 (900) 123-45-67"})
    assert response.status_code == 302
    with scopes_disabled():
        question = Appeal.objects.get()
        assert (question.kind, question.author, question.topic.is_support) == (Appeal.Kind.SUPPORT, None, True)
        assert (question.contact_name, question.contact_phone, question.contact_email) == ("Пётр", "+79001234567", "")
    assert f"№ {question.number}" in text_of(visitor.get(response["Location"]))


@pytest.mark.django_db
def test_a_signed_in_customer_asks_support_without_captcha_or_contact(author):
    user, client, account, topic = author
    page = text_of(client.get("/support/question/"))
    assert "captcha" not in page and 'name="email"' not in page and 'name="name"' not in page
    response = client.post("/support/question/", {"text": "Как сменить e-mail?"})
    assert response.status_code == 302
    question = appeal_from(response)
    assert (question.kind, question.author) == (Appeal.Kind.SUPPORT, user)
    assert f"Вопрос № {question.number} отправлен" in text_of(client.get(response["Location"]))
    assert f"Вопрос в техподдержку № {question.number}" in text_of(client.get("/appeals/"))


@pytest.mark.django_db
def test_rate_limits_stop_the_eleventh_appeal_and_the_sixth_question_of_a_visitor(
        author, gas, tenant_client, captcha_passes):
    alpha, _beta, _supplier = gas
    user, client, account, topic = author
    for _attempt in range(3):  # refused forms do not count
        create(client, topic, text="")
    for number in range(10):
        assert create(client, topic, text=f"Обращение {number}").status_code == 302
    page = text_of(create(client, topic, text="Одиннадцатое"))
    assert "Слишком много обращений" in page and "Одиннадцатое" in page
    with scopes_disabled():
        assert Appeal.objects.filter(author=user).count() == 10

    visitor = tenant_client(alpha, REMOTE_ADDR="203.0.113.9")
    data = {"name": "Гость", "email": "g@example.com", "text": "Вопрос", "captcha_0": "x", "captcha_1": "PASSED"}
    for _attempt in range(5):
        assert visitor.post("/support/question/", data).status_code == 302
    assert "Слишком много вопросов" in text_of(visitor.post("/support/question/", data))


@pytest.mark.django_db
def test_the_menu_and_the_pages_for_visitors(gas, tenant_client):
    alpha, _beta, _supplier = gas
    visitor = tenant_client(alpha)
    assert "/appeals/" not in text_of(visitor.get("/support/"))
    response = visitor.get("/appeals/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert tenant_client(None).get("/support/question/").status_code == 404  # the platform's host


@pytest.mark.django_db
def test_mef_offers_the_ten_topics_of_guide_003_and_its_support_page_links_the_question(demo_tenants, tenant_client):
    mef = demo_tenants["mef"]
    assert "Задать вопрос в техподдержку" in text_of(tenant_client(mef).get("/support/"))
    user = UserFactory(tenant=mef, email="appeals@mef.example")
    client = tenant_client(mef)
    client.force_login(user)
    page = text_of(client.get("/appeals/new/"))
    for name in demo.MEF_TOPICS:
        assert f">{name}</option>" in page
    assert f">{demo.SUPPORT_TOPIC}</option>" not in page


@pytest.mark.django_db
def test_the_same_appeal_form_sent_twice_makes_one_appeal(author):
    import uuid as uuid_module

    from appeals.models import Appeal as AppealModel

    _user, client, _account, topic = author
    token = uuid_module.uuid4()
    data = {"topic": topic.pk, "text": "Дважды нажал", "token": token}
    first, second = client.post("/appeals/new/", data), client.post("/appeals/new/", data)
    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"]
    with scopes_disabled():
        assert AppealModel.objects.filter(public_id=token).count() == 1


# --- Attacks: one solved captcha sent twice at once ----------------------------------------------


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
