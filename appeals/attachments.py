"""What an attachment may be: at most MAX_FILES files of MAX_BYTES each, a PDF, JPEG, PNG,
DOCX or XLSX as its content says (``filetype`` reads the magic numbers, and for DOCX/XLSX the
ZIP's parts), whatever its name claims; a DOCX or XLSX whose parts unpack to more than
``MAX_UNPACKED_BYTES`` (a zip bomb) is refused; stored under a safe name."""

import re
import unicodedata
import zipfile
import zlib
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
# A DOCX or XLSX is a ZIP of XML parts and pictures. Whoever opens one (staff's Word or
# Excel, a virus scanner, a preview) unpacks it: all its parts together may unpack to at most
# this much (a real 10 MB document unpacks to a few tens of MB, a zip bomb to gigabytes) ...
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
# ... no part bigger than RATIO_FROM may be packed more than MAX_RATIO times (text XML packs
# 5-20 times, deflate at most about 1000), and there are at most MAX_PARTS parts.
MAX_RATIO = 100
RATIO_FROM = 1024 * 1024
MAX_PARTS = 1000
ZIP_KINDS = {"docx", "xlsx"}
UNPACK_CHUNK = 1024 * 1024


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
        if kind.extension in ZIP_KINDS and not unpacks_safely(upload):
            errors.append(_("«%(name)s»: документ не открывается или распаковывается в слишком большой объём. "
                            "Сохраните его заново или приложите PDF.") % {"name": shown})
            continue
        extension, content_type = ALLOWED[kind.extension]
        checked.append(CheckedFile(upload=upload, name=safe_name(upload.name, extension), content_type=content_type,
                                   size=upload.size))
    if errors:
        raise ValidationError(errors)
    return checked


def unpacks_safely(upload):
    """Whether the ZIP in ``upload`` is a readable archive of at most MAX_PARTS parts that
    unpack to at most MAX_UNPACKED_BYTES, none packed more than MAX_RATIO times. The sizes
    the archive declares are checked first, then each part is unpacked in chunks and
    thrown away: a part that unpacks to more than it declares (or to other bytes: the CRC)
    makes ``zipfile`` raise, so the declared sizes are the true ones. The upload is
    rewound."""
    try:
        with zipfile.ZipFile(upload) as archive:
            parts = archive.infolist()
            if len(parts) > MAX_PARTS or sum(part.file_size for part in parts) > MAX_UNPACKED_BYTES:
                return False
            if any(part.file_size > RATIO_FROM and part.file_size > MAX_RATIO * max(part.compress_size, 1)
                   for part in parts):
                return False
            for part in parts:
                with archive.open(part) as stream:
                    while stream.read(UNPACK_CHUNK):
                        pass
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, NotImplementedError, RuntimeError, ValueError,
            OSError, EOFError):
        return False  # damaged, encrypted, or packed by a method zipfile does not read
    finally:
        upload.seek(0)
    return True
