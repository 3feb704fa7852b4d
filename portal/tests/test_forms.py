"""portal.forms.MultipleFileField, the one field every app's multi-file input uses."""

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.forms import MultipleFileField


def upload(name, content=b"x"):
    return SimpleUploadedFile(name, content)


def test_several_files_clean_to_a_list_and_none_to_an_empty_one():
    field = MultipleFileField(required=False, accept=".csv")
    assert [item.name for item in field.clean([upload("a.csv"), None, upload("b.csv")])] == ["a.csv", "b.csv"]
    assert field.clean([]) == [] and field.clean(None) == []
    assert field.widget.attrs["accept"] == ".csv" and field.widget.allow_multiple_selected


def test_a_required_field_refuses_no_files_and_each_file_is_checked_as_one():
    field = MultipleFileField()
    with pytest.raises(forms.ValidationError) as refused:
        field.clean([])
    assert refused.value.code == "required"
    with pytest.raises(forms.ValidationError) as empty:
        field.clean([upload("a.csv"), upload("empty.csv", b"")])
    assert empty.value.code == "empty"
