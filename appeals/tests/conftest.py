import pytest
from django.core.files.storage import FileSystemStorage

from appeals.models import Attachment


@pytest.fixture(autouse=True)
def _attachments_in_tmp(tmp_path, monkeypatch):
    # A FileField binds its storage when the model loads, so overriding settings.STORAGES in a
    # test does not reach it: the field's own storage is swapped instead.
    monkeypatch.setattr(Attachment._meta.get_field("file"), "storage",
                        FileSystemStorage(location=str(tmp_path / "private")))
