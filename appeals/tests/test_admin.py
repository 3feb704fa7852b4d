"""Appeals on the staff side (issue 12): the queue, the answer with files, assignment and
status, each tenant's staff seeing only their tenant's appeals and files."""

import os

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from accounts.models import User
from appeals import services
from appeals.attachments import check_files
from appeals.factories import TINY_PDF, appeal_rows, appeals_staff
from appeals.models import Appeal, AppealsPolicy, ApplicationObject, Attachment, Message, Topic
from portal.scoping import scopes_disabled, tenant_scope

HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.fixture(autouse=True)
def private_storage(tmp_path, monkeypatch):
    """Attachments in a temporary folder. The field holds its storage since the model was
    defined, so settings.STORAGES is too late: swap it on the field."""
    storage = FileSystemStorage(location=tmp_path / "private")
    monkeypatch.setattr(Attachment._meta.get_field("file"), "storage", storage)
    return storage


def stored_files(storage, folder="appeals"):
    root = storage.path(folder)
    return sorted(os.path.relpath(os.path.join(path, name), root)
                  for path, _dirs, names in os.walk(root) for name in names)


def consumer_of(tenant, username, **fields):
    with tenant_scope(tenant):
        return User.objects.create_user(tenant=tenant, username=username, password="x", **fields)


def new_appeal(tenant, author, *, text="Почему такой большой счёт?", files=(), kind=Appeal.Kind.APPEAL, **fields):
    with tenant_scope(tenant):
        topic = Topic.objects.get_or_create(tenant=tenant, name="Общие вопросы")[0]
        return services.appeal_create(tenant=tenant, author=author, kind=kind, topic=topic, text=text,
                                      files=check_files(files), **fields)


@pytest.fixture
def world(tenants, tenant_client, admin_login):
    """Alpha and beta, each with a customer's appeal (alpha's with a PDF) and a contract
    application with an object and a file (appeal_rows); alpha's staff signed in to alpha's
    admin."""
    alpha, beta = tenants
    made = {}
    for tenant in (alpha, beta):
        author = consumer_of(tenant, f"customer-{tenant.slug}", email=f"customer@{tenant.slug}.example")
        appeal = new_appeal(tenant, author, files=[SimpleUploadedFile("счёт.pdf", TINY_PDF)])
        rows = appeal_rows(tenant, author=author)
        made[tenant.slug] = {"author": author, "appeal": appeal, "application": rows["appeal"],
                             "attachment": rows["attachment"]}
    staff = appeals_staff(alpha)
    client = tenant_client(alpha)
    admin_login(client, staff)
    return alpha, beta, client, staff, made


def url(obj_or_model, view="changelist", *args):
    opts = obj_or_model._meta
    if view not in ("changelist", "add") and not args:
        args = (obj_or_model.pk,)
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def answer_url(appeal):
    return reverse("admin:appeals_appeal_answer", args=[appeal.pk])


def download_url(attachment, appeal=None):
    return reverse("admin:appeals_appeal_attachment", args=[(appeal or attachment.appeal).pk, attachment.pk])


def attachment_of(appeal):
    with scopes_disabled():
        return Attachment.objects.filter(appeal=appeal).first()


def reload(appeal):
    with scopes_disabled():
        return Appeal.objects.get(pk=appeal.pk)


def change_data(page, **changes):
    """What the browser posts from an appeal's page: the staff form's fields and each
    inline's management form and rows, with ``changes``."""
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        if not field.disabled:
            value = form[name].value()
            data[name] = "" if value is None else value
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data[formset.management_form.add_prefix(name)] = formset.management_form[name].value()
        for row in formset.forms:
            for name in row.fields:
                value = row[name].value()
                if value is not None:
                    data[row.add_prefix(name)] = value
    data.update(changes)
    return data


def answer(client, appeal, text="Счёт пересчитан, см. приложение.", files=(), **fields):
    return client.post(answer_url(appeal), {"text": text, "files": list(files), "status": "answered", **fields})


# --- The queue -------------------------------------------------------------------------------------


def test_the_queue_shows_the_tenants_appeals_newest_first(world):
    alpha, beta, client, staff, made = world
    page = client.get(url(Appeal))
    assert page.status_code == 200
    shown = list(page.context["cl"].result_list)
    assert shown == [made["alpha"]["application"], made["alpha"]["appeal"]]
    html = page.content.decode()
    for text in (f"№ {made['alpha']['appeal'].number}", "обращение", "заявка на заключение договора", "новое",
                 "customer-alpha", "Общие вопросы"):
        assert text in html


def test_the_queue_searches_by_number_and_login_and_filters(world):
    alpha, beta, client, staff, made = world
    mine = made["alpha"]["appeal"]
    found = client.get(url(Appeal), {"q": str(mine.number)}).context["cl"].result_list
    assert [appeal.pk for appeal in found] == [mine.pk]
    assert [appeal.pk for appeal in client.get(url(Appeal), {"q": f"№{mine.number}"}).context["cl"].result_list] == [
        mine.pk]
    assert list(client.get(url(Appeal), {"q": str(mine.pk + 1000)}).context["cl"].result_list) == []
    by_login = client.get(url(Appeal), {"q": "customer-alpha"}).context["cl"].result_list
    assert len(by_login) == 2
    theirs = made["beta"]["appeal"]
    assert theirs.pk not in [appeal.pk for appeal in client.get(url(Appeal), {"q": str(theirs.number)}).context[
        "cl"].result_list]
    assert list(client.get(url(Appeal), {"q": "customer-beta"}).context["cl"].result_list) == []
    assert client.get(url(Appeal), {"q": "нет такого"}).status_code == 200
    contracts = client.get(url(Appeal), {"kind__exact": "contract"}).context["cl"].result_list
    assert [appeal.kind for appeal in contracts] == ["contract"]
    assert client.get(url(Appeal), {"status__exact": "closed"}).context["cl"].result_count == 0


def test_the_appeal_page_shows_the_application_its_objects_and_the_thread(world):
    alpha, beta, client, staff, made = world
    rows = made["alpha"]
    page = client.get(url(rows["application"], "change"))
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("Заявитель alpha", "г. Рязань, ул. Заявки, 1", "жилой дом", "Прошу заключить договор (alpha).",
                 "заявление.pdf", download_url(rows["attachment"]), answer_url(rows["application"]),
                 "customer@alpha.example"):
        assert text in html
    assert "Почему такой большой счёт?" not in html  # that one is the other appeal's
    form = page.context["adminform"].form
    assert set(form.fields) == {"assignee", "status"}
    appeal_page = client.get(url(rows["appeal"], "change")).content.decode()
    assert "Почему такой большой счёт?" in appeal_page and "счёт.pdf" in appeal_page
    assert "Заявитель alpha" not in appeal_page and "objects_list" not in appeal_page


# --- Answering -------------------------------------------------------------------------------------


def test_staff_answer_with_a_file_reaches_the_customers_thread_and_e_mail(world, outbox):
    alpha, beta, client, staff, made = world
    appeal = made["alpha"]["appeal"]
    reply = SimpleUploadedFile("Ответ.pdf", TINY_PDF, content_type="application/pdf")
    response = answer(client, appeal, files=[reply])
    assert response.status_code == 302
    assert response["Location"] == url(appeal, "change")

    appeal = reload(appeal)
    assert appeal.status == Appeal.Status.ANSWERED
    assert appeal.unread_by_author
    with tenant_scope(alpha):
        message = Message.objects.filter(appeal=appeal).last()
        assert (message.from_staff, message.author, message.text) == (True, staff, "Счёт пересчитан, см. приложение.")
        [attachment] = message.attachments.all()
    assert (attachment.name, attachment.content_type, attachment.size) == ("Ответ.pdf", "application/pdf", len(TINY_PDF))
    assert attachment.file.read() == TINY_PDF

    [mail] = outbox.messages(to="customer@alpha.example")
    assert f"№ {appeal.number}" in mail.subject
    assert f"/appeals/{appeal.public_id}/" in mail.text
    page = client.get(url(appeal, "change")).content.decode()
    assert "Ответ отправлен автору" in page and "Счёт пересчитан" in page and download_url(attachment) in page


def test_an_author_with_only_a_phone_gets_an_sms(world, outbox):
    alpha, beta, client, staff, made = world
    author = consumer_of(alpha, "phone-only", phone="+79001234567")
    appeal = new_appeal(alpha, author)
    assert answer(client, appeal, status="in_progress").status_code == 302
    assert reload(appeal).status == Appeal.Status.IN_PROGRESS
    [sms] = outbox.messages(to="+79001234567")
    assert sms.channel == "sms"
    assert f"№ {appeal.number}" in sms.text


def test_a_visitors_support_question_gets_the_answer_itself_by_e_mail(world, outbox):
    alpha, beta, client, staff, made = world
    with tenant_scope(alpha):
        support = Topic.objects.create(tenant=alpha, name="Вопрос в техподдержку", is_support=True)
        appeal = services.appeal_create(tenant=alpha, author=None, kind=Appeal.Kind.SUPPORT, topic=support,
                                        text="Не приходит код", contact_name="Гость", contact_email="guest@example.com")
    page = client.get(url(appeal, "change")).content.decode()
    assert "guest@example.com" in page and "Не приходит код" in page
    assert answer(client, appeal, text="Проверьте папку «Спам».").status_code == 302
    [mail] = outbox.messages(to="guest@example.com")
    assert "Проверьте папку «Спам»." in mail.text
    assert reload(appeal).status == Appeal.Status.ANSWERED


def test_a_bad_file_in_the_answer_is_refused_and_nothing_is_saved(world, outbox, private_storage):
    alpha, beta, client, staff, made = world
    appeal = made["alpha"]["appeal"]
    files_before = stored_files(private_storage)
    with scopes_disabled():
        messages_before = Message.objects.count()
    disguised = SimpleUploadedFile("акт.pdf", HTML, content_type="application/pdf")
    response = answer(client, appeal, files=[SimpleUploadedFile("good.pdf", TINY_PDF), disguised])
    assert response.status_code == 200
    html = response.content.decode()
    assert "«акт.pdf»: такой формат не принимается" in html
    assert "Ответ не отправлен" in html
    assert "Счёт пересчитан, см. приложение." in html  # the text stays for another try
    assert reload(appeal).status == Appeal.Status.NEW and not reload(appeal).unread_by_author
    with scopes_disabled():
        assert Message.objects.count() == messages_before
    assert stored_files(private_storage) == files_before
    assert outbox.messages() == []


def test_six_files_are_refused(world):
    alpha, beta, client, staff, made = world
    response = answer(client, made["alpha"]["appeal"],
                      files=[SimpleUploadedFile(f"{n}.pdf", TINY_PDF) for n in range(6)])
    assert response.status_code == 200
    assert "Можно приложить не больше 5 файлов." in response.content.decode()


def test_an_answer_moves_the_status_only_along_the_transitions(world, outbox, private_storage):
    alpha, beta, client, staff, made = world
    appeal = made["alpha"]["appeal"]
    with tenant_scope(alpha):
        services.appeal_set_status(appeal, Appeal.Status.CLOSED)
    files_before = stored_files(private_storage)
    response = answer(client, appeal, files=[SimpleUploadedFile("a.pdf", TINY_PDF)], status="answered")
    assert response.status_code == 200
    assert "Статус «закрыто» нельзя сменить на «есть ответ»." in response.content.decode()
    assert reload(appeal).status == Appeal.Status.CLOSED
    assert stored_files(private_storage) == files_before  # refused before any file was stored
    assert outbox.messages() == []
    # Closed goes back in work with an answer.
    assert answer(client, appeal, status="in_progress").status_code == 302
    assert reload(appeal).status == Appeal.Status.IN_PROGRESS


def test_the_answer_page_shows_the_form_and_the_thread(world):
    alpha, beta, client, staff, made = world
    page = client.get(answer_url(made["alpha"]["appeal"]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Почему такой большой счёт?" in html and 'name="files"' in html and 'enctype="multipart/form-data"' in html


# --- Assignment and status ---------------------------------------------------------------------------


def test_staff_assign_an_appeal_only_to_their_tenants_staff(world):
    alpha, beta, client, staff, made = world
    appeal = made["alpha"]["appeal"]
    colleague = appeals_staff(alpha, "colleague")
    stranger = appeals_staff(beta, "stranger")
    page = client.get(url(appeal, "change"))
    offered = set(page.context["adminform"].form.fields["assignee"].queryset)
    assert offered == {staff, colleague}  # not the customer, not beta's staff

    for wrong in (stranger, made["alpha"]["author"]):
        response = client.post(url(appeal, "change"), change_data(page, assignee=wrong.pk))
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["assignee"]
        assert reload(appeal).assignee_id is None

    response = client.post(url(appeal, "change"), change_data(page, assignee=colleague.pk))
    assert response.status_code == 302
    assert reload(appeal).assignee == colleague
    assert reload(appeal).status == Appeal.Status.NEW


def test_the_assignment_saves_on_an_application_with_objects(world):
    alpha, beta, client, staff, made = world
    application = made["alpha"]["application"]
    page = client.get(url(application, "change"))
    response = client.post(url(application, "change"), change_data(page, assignee=staff.pk))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert reload(application).assignee == staff
    with scopes_disabled():
        assert ApplicationObject.objects.filter(appeal=application).count() == 1


def test_staff_move_the_status_along_the_transitions_only(world):
    alpha, beta, client, staff, made = world
    appeal = made["alpha"]["appeal"]
    page = client.get(url(appeal, "change"))
    offered = [value for value, _label in page.context["adminform"].form.fields["status"].choices]
    assert offered == ["new", "in_progress", "answered", "closed"]
    assert client.post(url(appeal, "change"), change_data(page, status="closed")).status_code == 302
    assert reload(appeal).status == Appeal.Status.CLOSED

    page = client.get(url(appeal, "change"))
    assert [value for value, _label in page.context["adminform"].form.fields["status"].choices] == [
        "in_progress", "closed"]
    response = client.post(url(appeal, "change"), change_data(page, status="answered", assignee=staff.pk))
    assert response.status_code == 200
    assert "Статус «закрыто» нельзя сменить на «есть ответ»." in response.content.decode()
    assert reload(appeal).status == Appeal.Status.CLOSED
    assert reload(appeal).assignee_id is None  # nothing of the refused form is saved
    response = client.post(url(appeal, "change"), change_data(page, status="draft"))
    assert "Статус «закрыто» нельзя сменить на «черновик»." in response.content.decode()
    assert client.post(url(appeal, "change"), change_data(page, status="bogus")).status_code == 200
    assert reload(appeal).status == Appeal.Status.CLOSED


def test_a_status_changed_meanwhile_is_an_error_message_not_a_silent_move(world):
    alpha, beta, client, staff, made = world
    appeal = made["alpha"]["appeal"]
    page = client.get(url(appeal, "change"))  # shows «новое»: every move is offered
    with tenant_scope(alpha):
        services.appeal_set_status(appeal, Appeal.Status.CLOSED)  # someone else closes it meanwhile
    data = change_data(page, status="answered", assignee=staff.pk)
    response = client.post(url(appeal, "change"), data, follow=True)
    assert "Статус «закрыто» нельзя сменить на «есть ответ»." in response.content.decode()
    assert reload(appeal).status == Appeal.Status.CLOSED


def test_a_draft_application_keeps_its_status(world):
    alpha, beta, client, staff, made = world
    draft = made["alpha"]["application"]
    with scopes_disabled():
        Appeal.objects.filter(pk=draft.pk).update(status=Appeal.Status.DRAFT)
    page = client.get(url(draft, "change"))
    assert page.context["adminform"].form.fields["status"].disabled
    response = client.post(url(draft, "change"), {**change_data(page, assignee=staff.pk), "status": "new"})
    assert response.status_code == 302
    assert reload(draft).status == Appeal.Status.DRAFT and reload(draft).assignee == staff


# --- What staff may not do ---------------------------------------------------------------------------


def test_staff_neither_add_nor_delete_appeals_nor_edit_messages(world):
    alpha, beta, client, staff, made = world
    appeal = made["alpha"]["appeal"]
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="appeals"))
    assert client.get(url(Appeal, "add")).status_code == 403
    assert client.get(url(appeal, "delete")).status_code == 403
    assert client.post(url(appeal, "delete"), {"post": "yes"}).status_code == 403
    assert reload(appeal)
    assert Message not in admin.site._registry and Attachment not in admin.site._registry
    page = client.get(url(appeal, "change"))
    assert set(page.context["adminform"].form.fields) == {"assignee", "status"}
    assert 'name="action"' not in client.get(url(Appeal)).content.decode()  # no bulk delete either


def test_staff_without_the_permission_see_no_appeals_and_no_files(world, tenant_client, admin_login):
    alpha, beta, client, staff, made = world
    appeal, attachment = made["alpha"]["appeal"], made["alpha"]["attachment"]
    clerk = appeals_staff(alpha, "clerk", permissions=[])
    other = tenant_client(alpha)
    admin_login(other, clerk)
    assert other.get(url(appeal, "change")).status_code == 403
    assert other.get(download_url(attachment)).status_code == 403
    assert other.post(answer_url(appeal), {"text": "x", "status": "answered"}).status_code == 403
    viewer = appeals_staff(alpha, "viewer", permissions=["appeals.view_appeal"])
    admin_login(other, viewer)
    assert other.get(download_url(attachment)).status_code == 200
    assert other.post(answer_url(appeal), {"text": "x", "status": "answered"}).status_code == 403
    page = other.get(url(appeal, "change"))
    assert page.status_code == 200 and "appeal_answer_form" not in page.content.decode()
    anonymous = tenant_client(alpha).get(download_url(attachment))
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]


# --- Files --------------------------------------------------------------------------------------------


def test_staff_download_a_thread_file_as_an_attachment(world):
    alpha, beta, client, staff, made = world
    attachment = made["alpha"]["attachment"]
    response = client.get(download_url(attachment))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%D0%B7%D0%B0%D1%8F%D0%B2%D0%BB%D0%B5%D0%BD%D0%B8%D0%B5.pdf" in response[
        "Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == TINY_PDF


def test_a_file_is_found_only_under_its_own_appeal(world):
    alpha, beta, client, staff, made = world
    attachment = made["alpha"]["attachment"]
    other_appeal = made["alpha"]["appeal"]  # the file is the application's
    assert client.get(download_url(attachment, appeal=other_appeal)).status_code == 404
    assert client.get(reverse("admin:appeals_appeal_attachment", args=[attachment.appeal_id, 10 ** 9])).status_code \
        == 404


def test_another_tenants_appeal_and_files_are_not_found(world, tenant_client, admin_login, outbox):
    alpha, beta, client, staff, made = world
    theirs = made["beta"]
    for appeal in (theirs["appeal"], theirs["application"]):
        for view in ("change", "history", "delete"):
            response = client.get(url(appeal, view))
            assert response.status_code in (302, 403, 404), view
            assert "Почему такой большой счёт?" not in response.content.decode()
        assert client.get(answer_url(appeal)).status_code == 404
        response = answer(client, appeal, files=[SimpleUploadedFile("a.pdf", TINY_PDF)])
        assert response.status_code == 404
        assert reload(appeal).status == Appeal.Status.NEW
    for attachment in (theirs["attachment"], attachment_of(theirs["appeal"])):
        response = client.get(download_url(attachment))
        assert response.status_code == 404
        assert TINY_PDF not in response.content
    # Beta's own staff on beta's host: their appeal is there; alpha's is not.
    beta_client = tenant_client(beta)
    admin_login(beta_client, appeals_staff(beta, "beta-staff"))
    assert beta_client.get(url(theirs["appeal"], "change")).status_code == 200
    assert beta_client.get(url(made["alpha"]["appeal"], "change")).status_code == 302
    assert beta_client.get(download_url(made["alpha"]["attachment"])).status_code == 404
    assert beta_client.get(download_url(theirs["attachment"])).status_code == 200
    # Alpha's staff on beta's host: not even the admin.
    wrong_host = tenant_client(beta)
    admin_login(wrong_host, staff)
    assert wrong_host.get(download_url(theirs["attachment"])).status_code == 302
    with scopes_disabled():
        assert not Message.objects.filter(appeal__tenant=beta, from_staff=True).exists()
    assert outbox.messages() == []


# --- Topics and the policy ------------------------------------------------------------------------------


def test_staff_keep_their_topic_list(world):
    alpha, beta, client, staff, made = world
    response = client.post(url(Topic, "add"), {"tenant": beta.pk, "name": "Качество услуги", "is_active": "on",
                                               "order": "3"})
    assert response.status_code == 302
    with scopes_disabled():
        assert Topic.objects.get(name="Качество услуги").tenant == alpha
    names = [topic.name for topic in client.get(url(Topic)).context["cl"].result_list]
    assert names == ["Общие вопросы", "Качество услуги"]
    duplicate = client.post(url(Topic, "add"), {"name": "Качество услуги", "order": "0"})
    assert duplicate.status_code == 200


def test_staff_switch_the_applications_their_tenant_takes(world):
    alpha, beta, client, staff, made = world
    with tenant_scope(alpha):
        policy = AppealsPolicy.objects.get()
    assert client.get(url(AppealsPolicy, "add")).status_code == 403  # one per tenant
    response = client.post(url(policy, "change"), {"grid_connection_applications": "on"})
    assert response.status_code == 302
    with tenant_scope(alpha):
        policy.refresh_from_db()
    assert (policy.contract_applications, policy.grid_connection_applications) == (False, True)
    assert client.post(url(policy, "delete"), {"post": "yes"}).status_code == 403


def test_platform_superusers_see_every_tenants_appeals_and_assign_within_the_appeals_tenant(world, tenant_client,
                                                                                         admin_login):
    alpha, beta, client, staff, made = world
    with tenant_scope(None):
        root = User.objects.create_user(tenant=None, username="root", password="x", is_staff=True, is_superuser=True)
    platform = tenant_client(None)
    admin_login(platform, root)
    listed = platform.get(url(Appeal)).context["cl"].result_list
    assert {appeal.tenant_id for appeal in listed} == {alpha.pk, beta.pk}
    theirs = made["beta"]["appeal"]
    beta_staff = appeals_staff(beta, "beta-staff")
    page = platform.get(url(theirs, "change"))
    assert set(page.context["adminform"].form.fields["assignee"].queryset) == {beta_staff}
    response = platform.post(url(theirs, "change"), change_data(page, assignee=staff.pk))
    assert response.status_code == 200 and response.context["adminform"].form.errors["assignee"]
    assert platform.post(url(theirs, "change"), change_data(page, assignee=beta_staff.pk)).status_code == 302
    assert reload(theirs).assignee == beta_staff
    assert platform.get(download_url(made["beta"]["attachment"])).status_code == 200


# --- Attacks: a NUL byte in the queue's filters --------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("parameter", ["status", "kind"])
def test_a_nul_byte_in_the_queues_filter_is_no_server_error(tenants, tenant_client, admin_login, parameter):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite stores NUL bytes; PostgreSQL refuses them")
    alpha, _beta = tenants
    client = tenant_client(alpha)
    admin_login(client, appeals_staff(alpha))
    response = client.get("/admin/appeals/appeal/", {parameter: "\x00"})
    assert response.status_code in (200, 302, 400)
