"""What an attachment may be (issue 12): check_files on real tiny files made here, and the
safe names files are stored and served under."""

import io
import unicodedata
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from appeals.attachments import ALLOWED, MAX_BYTES, MAX_FILES, check_files, safe_name
from appeals.factories import TINY_PDF
from appeals.models import Attachment


@pytest.fixture(autouse=True)
def private_storage(tmp_path, monkeypatch):
    """Attachments in a temporary folder. The field holds its storage since the model was
    defined, so settings.STORAGES is too late: swap it on the field."""
    storage = FileSystemStorage(location=tmp_path / "private")
    monkeypatch.setattr(Attachment._meta.get_field("file"), "storage", storage)
    return storage


# --- Tiny real files -----------------------------------------------------------------------------


def image(kind):
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, kind)
    return buffer.getvalue()


CONTENT_TYPES_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/{part}" ContentType="{content_type}"/>'
    "</Types>"
)
RELS_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="{part}"/></Relationships>'
)


def ooxml(part, content_type, body):
    """A minimal OOXML package: [Content_Types].xml first (what filetype's matcher looks for
    at the first entry), the package relationships, then the main part (``word/`` or
    ``xl/``, which names the kind)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", CONTENT_TYPES_XML.format(part=part, content_type=content_type))
        package.writestr("_rels/.rels", RELS_XML.format(part=part))
        package.writestr(part, body)
    return buffer.getvalue()


def docx():
    return ooxml(
        "word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>Заявление</w:t></w:r></w:p></w:body></w:document>",
    )


def xlsx():
    return ooxml(
        "xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets/></workbook>',
    )


def plain_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not an office document")
        archive.writestr("data/table.csv", "a;b\n1;2\n")
    return buffer.getvalue()


def upload(name, content, content_type="application/octet-stream"):
    # The browser's Content-Type is the sender's claim; check_files does not read it.
    return SimpleUploadedFile(name, content, content_type=content_type)


HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b"<script>alert(1)</script></svg>")
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run"

KINDS = {
    "pdf": lambda: TINY_PDF,
    "jpg": lambda: image("JPEG"),
    "png": lambda: image("PNG"),
    "docx": docx,
    "xlsx": xlsx,
}


# --- Accepted ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_allowed_kind_is_accepted_under_its_own_name(kind):
    extension, content_type = ALLOWED[kind]
    [checked] = check_files([upload(f"документ.{extension}", KINDS[kind]())])
    assert checked.name == f"документ.{extension}"
    assert checked.content_type == content_type
    assert checked.size == len(KINDS[kind]())


@pytest.mark.parametrize("kind, misnamed", [
    ("png", "scan.pdf"), ("jpg", "photo.png"), ("pdf", "contract.docx"), ("docx", "letter.pdf"),
    ("xlsx", "table.docx"), ("pdf", "no-extension"),
])
def test_the_content_decides_the_kind_whatever_the_name_says(kind, misnamed):
    extension, content_type = ALLOWED[kind]
    [checked] = check_files([upload(misnamed, KINDS[kind](), content_type="text/html")])
    assert checked.content_type == content_type
    assert checked.name == f"{misnamed.rsplit('.', 1)[0]}.{extension}"


def test_a_png_named_pdf_becomes_a_png():
    [checked] = check_files([upload("scan.pdf", image("PNG"), content_type="application/pdf")])
    assert (checked.name, checked.content_type) == ("scan.png", "image/png")


def test_up_to_five_files_of_up_to_10_mb_are_accepted_and_left_readable():
    files = [upload(f"{kind}.{ALLOWED[kind][0]}", make()) for kind, make in KINDS.items()]
    assert len(files) == MAX_FILES
    checked = check_files(files)
    assert [item.name for item in checked] == ["pdf.pdf", "jpg.jpg", "png.png", "docx.docx", "xlsx.xlsx"]
    for item, kind in zip(checked, KINDS):
        assert item.upload.read() == KINDS[kind]()  # rewound after the check
    exactly = upload("big.pdf", TINY_PDF + b"0" * (MAX_BYTES - len(TINY_PDF)))
    assert check_files([exactly])[0].size == MAX_BYTES


def test_empty_slots_are_skipped():
    assert check_files([]) == []
    assert check_files([None, upload("a.pdf", TINY_PDF)])[0].name == "a.pdf"


# --- Refused -------------------------------------------------------------------------------------


def refusal(files):
    with pytest.raises(ValidationError) as caught:
        check_files(files)
    return caught.value.messages


@pytest.mark.parametrize("name, content", [
    ("invoice.pdf", HTML),
    ("setup.exe", EXE),
    ("report.pdf", EXE),
    ("archive.zip", plain_zip()),
    ("archive.docx", plain_zip()),
    ("drawing.svg", SVG),
    ("drawing.png", SVG),
    ("notes.txt", "просто текст".encode()),
])
def test_other_kinds_are_refused_whatever_their_name(name, content):
    [message] = refusal([upload(name, content, content_type="application/pdf")])
    assert "такой формат не принимается" in message
    assert name.rsplit(".", 1)[0] in message


def test_a_file_over_10_mb_is_refused():
    [message] = refusal([upload("big.pdf", TINY_PDF + b"0" * (MAX_BYTES + 1 - len(TINY_PDF)))])
    assert message == "«big.pdf»: файл больше 10 МБ."


def test_six_files_are_refused():
    [message] = refusal([upload(f"{number}.pdf", TINY_PDF) for number in range(MAX_FILES + 1)])
    assert message == "Можно приложить не больше 5 файлов."


def test_every_bad_file_is_named_and_good_ones_do_not_pass_alone():
    messages = refusal([upload("good.pdf", TINY_PDF), upload("bad.pdf", HTML), upload("worse.exe", EXE)])
    assert len(messages) == 2
    assert "«bad.pdf»" in messages[0] and "«worse.exe»" in messages[1]


def test_the_refusal_names_the_file_safely():
    [message] = refusal([upload('<img src=x onerror="alert(1)">\u202e.pdf', HTML)])
    assert "<" not in message and '"' not in message and "\u202e" not in message


# --- Safe names ----------------------------------------------------------------------------------


def is_safe(name):
    return (
        "/" not in name and "\\" not in name and ".." not in name
        and not any(unicodedata.category(char)[0] in "C" for char in name)
        and not any(char in name for char in "\"'<>;:|*?\n\r\t")
        and not name.startswith((".", " "))
        and len(name) <= 105
    )


@pytest.mark.parametrize("given, expected", [
    ("../../etc/passwd", "passwd.pdf"),
    ("..\\..\\windows\\system32\\cmd.exe", "cmd.pdf"),
    ("C:\\dir\\file.pdf", "file.pdf"),
    ("/var/www/../secret.pdf", "secret.pdf"),
    ("", "файл.pdf"),
    (".pdf", "файл.pdf"),
    ("...", "файл.pdf"),
    ("   ", "файл.pdf"),
    ("Договор поставки.pdf", "Договор поставки.pdf"),
    ("Заявление (копия)-2.pdf", "Заявление (копия)-2.pdf"),
    ("ёлка ЁЛКА.pdf", "ёлка ЁЛКА.pdf"),
])
def test_safe_name(given, expected):
    assert safe_name(given, "pdf") == expected


@pytest.mark.parametrize("given", [
    "line\nbreak.pdf",
    "carriage\r\nreturn.pdf",
    'quoted "name".pdf',
    "it's.pdf",
    "semi;colon: pipe|star*.pdf",
    "<script>alert(1)</script>.pdf",
    "invoice\u202efdp.exe",  # right-to-left override: shows as «invoiceexe.pdf»
    "zero\u200bwidth\u200c\u200d\ufeffname.pdf",
    "tab\tand\x00nul\x1bescape.pdf",
    "Content-Disposition: attachment; filename=evil.pdf",
])
def test_safe_name_drops_what_a_shell_a_header_or_a_reader_would_misread(given):
    name = safe_name(given, "pdf")
    assert is_safe(name), name
    assert name.endswith(".pdf")


def test_safe_name_examples_of_what_is_kept():
    assert safe_name("line\nbreak.pdf", "pdf") == "linebreak.pdf"
    assert safe_name('quoted "name".pdf', "pdf") == "quoted _name.pdf"
    assert safe_name("invoice\u202efdp.exe", "pdf") == "invoicefdp.pdf"
    assert safe_name("zero\u200bwidth\u200c\u200d\ufeffname.pdf", "pdf") == "zerowidthname.pdf"


def test_safe_name_keeps_at_most_100_characters_and_the_extension():
    name = safe_name("я" * 300 + ".docx", "docx")
    assert name == "я" * 100 + ".docx"
    assert safe_name("a" * 300, "png") == "a" * 100 + ".png"


def test_safe_name_normalises_to_composed_cyrillic():
    decomposed = unicodedata.normalize("NFD", "Йошкар-Ола.pdf")
    assert decomposed != "Йошкар-Ола.pdf"
    assert safe_name(decomposed, "pdf") == "Йошкар-Ола.pdf"
