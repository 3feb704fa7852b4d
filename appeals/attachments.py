"""What an attachment may be: at most MAX_FILES files of MAX_BYTES each, a PDF, JPEG, PNG,
DOCX or XLSX as its content says (``filetype`` reads the magic numbers, and for DOCX/XLSX the
ZIP's parts), whatever its name claims; stored under a safe name."""

import re
import unicodedata
from dataclasses import dataclass

import filetype
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_FILES = 5
MAX_BYTES = 10 * 1024 * 1024
# Detected kind -> (extension, the Content-Type a download is served with).
ALLOWED = {
    "pdf": ("pdf", "application/pdf"),
    "jpg": ("jpg", "image/jpeg"),
    "png": ("png", "image/png"),
    "docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
# Enough of the file for every matcher (the ZIP matchers look into the first entries).
HEAD_BYTES = 8192


@dataclass(frozen=True)
class CheckedFile:
    upload: object  # the UploadedFile
    name: str  # safe, with the detected extension
    content_type: str
    size: int


def safe_name(name, extension):
    """The person's file name without paths, control characters or anything a shell or a
    header would read, at most 100 characters, ending in the detected extension."""
    name = unicodedata.normalize("NFC", str(name)).replace("\\", "/").rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = "".join(char for char in stem if unicodedata.category(char)[0] not in "CZ" or char == " ")
    stem = re.sub(r"[^\w .()\-]+", "_", stem).strip(" ._") or _("файл")
    return f"{stem[:100]}.{extension}"


def check_files(files):
    """The uploads as CheckedFiles, or ValidationError with a message per bad file."""
    files = [upload for upload in files if upload]
    if len(files) > MAX_FILES:
        raise ValidationError(_("Можно приложить не больше %(count)d файлов.") % {"count": MAX_FILES})
    checked, errors = [], []
    for upload in files:
        named = str(upload.name).rsplit(".", 1)
        shown = safe_name(named[0], re.sub(r"\W", "", named[1])[:10]) if len(named) == 2 else safe_name(named[0], "")[:-1]
        if upload.size > MAX_BYTES:
            errors.append(_("«%(name)s»: файл больше 10 МБ.") % {"name": shown})
            continue
        upload.seek(0)
        kind = filetype.guess(upload.read(HEAD_BYTES))
        upload.seek(0)
        if kind is None or kind.extension not in ALLOWED:
            errors.append(_("«%(name)s»: такой формат не принимается. Приложите PDF, JPEG, PNG, DOCX или XLSX.")
                          % {"name": shown})
            continue
        extension, content_type = ALLOWED[kind.extension]
        checked.append(CheckedFile(upload=upload, name=safe_name(upload.name, extension), content_type=content_type,
                                   size=upload.size))
    if errors:
        raise ValidationError(errors)
    return checked
