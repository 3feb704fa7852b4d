"""A file written by a request whose transaction then rolled back stays on disk with no row
(issue 25, part 6): the daily sweep (portal.services.orphan_files_delete, the command
delete_orphan_files, beat) deletes such files once they are a day old, and nothing a row
names."""

import io
import os
import time

import pytest
from django.apps import apps
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import models, transaction
from django_scopes import scopes_disabled

from accounts.factories import UserFactory
from appeals import demo as appeals_demo
from appeals import services
from appeals.attachments import check_files
from appeals.factories import TINY_PDF
from appeals.models import Appeal, Attachment, Topic
from portal.services import orphan_files_delete

DAY = 86400


@pytest.fixture
def storages(tmp_path, monkeypatch):
    """Every FileField's storage in a temporary folder (the fields hold theirs since the
    models were defined): the sweep walks only these. {location: storage}."""
    made = {}
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField):
                folder = "media" if field.storage.location == FileSystemStorage().location else "private"
                storage = made.setdefault(folder, FileSystemStorage(location=tmp_path / folder))
                monkeypatch.setattr(field, "storage", storage)
    return made


@pytest.fixture
def customer(tenants, tenant_client):
    alpha, beta = tenants
    appeals_demo.seed([alpha, beta])
    with scopes_disabled():
        topic = Topic.objects.get(tenant=alpha, name="Общие вопросы")
    user = UserFactory(tenant=alpha)
    client = tenant_client(alpha, raise_request_exception=False)
    client.force_login(user)
    return alpha, user, client, topic


def files_on_disk(storage):
    root = storage.location
    return sorted(os.path.relpath(os.path.join(path, name), root).replace(os.sep, "/")
                  for path, _dirs, names in os.walk(root) for name in names)


def named_files():
    with scopes_disabled():
        return sorted(Attachment.objects.values_list("file", flat=True))


def test_a_request_that_rolled_back_leaves_its_attachment_and_the_sweep_deletes_it_a_day_later(
        storages, customer, monkeypatch):
    tenant, user, client, topic = customer
    kept = client.post("/appeals/new/", {"topic": topic.pk, "text": "Прошу пересчитать",
                                         "files": [SimpleUploadedFile("акт.pdf", TINY_PDF)]})
    assert kept.status_code == 302

    def fail(*args, **kwargs):  # the request fails after the appeal and its file were written
        raise RuntimeError("the database went away before the commit")

    monkeypatch.setattr("appeals.views.messages.success", fail)
    failed = client.post("/appeals/new/", {"topic": topic.pk, "text": "Второе обращение",
                                           "files": [SimpleUploadedFile("скан.pdf", TINY_PDF)]})
    assert failed.status_code == 500
    with scopes_disabled():
        assert Appeal.objects.filter(author=user).count() == 1  # the second rolled back…
    storage = storages["private"]
    on_disk = files_on_disk(storage)
    assert len(on_disk) == 2 and len(named_files()) == 1  # …and left its file behind
    orphan = next(name for name in on_disk if name not in named_files())

    assert orphan_files_delete() == []  # young: it might await a commit
    assert orphan_files_delete(now=time.time() + DAY + 60) == [(storage.location, orphan)]
    assert files_on_disk(storage) == named_files()  # the appeal's own file kept


def test_a_rolled_back_transaction_and_the_command(storages, customer, capsys):
    tenant, user, _client, topic = customer
    with scopes_disabled():
        appeal = Appeal.objects.create(tenant=tenant, author=user, topic=topic, status=Appeal.Status.NEW)
        with pytest.raises(RuntimeError), transaction.atomic():
            services.files_attach(appeal, None, check_files([SimpleUploadedFile("а.pdf", TINY_PDF)]), user)
            assert Attachment.objects.count() == 1
            raise RuntimeError("rolled back")
        assert Attachment.objects.count() == 0
    storage = storages["private"]
    (orphan,) = files_on_disk(storage)
    a_day_ago = time.time() - DAY - 60
    os.utime(storage.path(orphan), (a_day_ago, a_day_ago))

    output = io.StringIO()
    call_command("delete_orphan_files", "--dry-run", stdout=output)
    assert output.getvalue().endswith("1 files no row names would be deleted.\n") and orphan in output.getvalue()
    assert files_on_disk(storage) == [orphan]

    call_command("delete_orphan_files", stdout=io.StringIO())
    assert files_on_disk(storage) == []


@pytest.mark.django_db
def test_only_the_fields_own_folders_are_swept(storages):
    """What lies beside the fields' folders — an export written into the private folder, a
    storage pointed at a parent folder, a hidden file — is never the sweep's, however old."""
    storage = storages["private"]
    beside = ["exports/readings-2026-11.csv", "db.sqlite3", "appeals/.keep"]
    for name in beside:
        storage.save(name, io.BytesIO(b"x"))
    unnamed = storage.save("receipts/unnamed.pdf", io.BytesIO(b"%PDF"))
    for name in (*beside, unnamed):
        os.utime(storage.path(name), (time.time() - 2 * DAY,) * 2)
    assert orphan_files_delete() == [(storage.location, unnamed)]
    assert sorted(files_on_disk(storage)) == sorted(beside)
