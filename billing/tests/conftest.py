import pytest


@pytest.fixture(autouse=True)
def _private_files_in_tmp(settings, tmp_path):
    # Import runs keep their rejected lines in the "private" storage: not in var/ for tests.
    settings.STORAGES = {**settings.STORAGES, "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "private")},
    }}
