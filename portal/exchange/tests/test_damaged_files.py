"""Damaged billing files change nothing (issue 25, part 5): a file cut off (in its last line,
in the middle of a UTF-8 character, or at a line break its row count gives away), a file in
KOI8-R or DOS cp866, and one that is UTF-16 (read, it is unambiguous with a BOM). The
operator is told why in one line; the admin's record says it in Russian."""

import random
from datetime import date

import pytest

from billing import demo, demo_data
from billing.factories import EXCHANGE_FILES, by_kind, run_import, stored_snapshot, write_csv
from billing.models import Account, ImportFile, Supplier
from billing.services import import_run_record
from portal.exchange.files import sources_from_paths
from portal.exchange.staging import import_files
from portal.scoping import tenant_scope

# accounts.csv of billing.factories with every holder renamed: imported wrongly, it would
# change the stored names.
RENAMED_ACCOUNTS = """
    supplier;account_number;subscriber_type;holder_name;address;contract_number;pin;phones;emails
    energo;100200300;individual;Смирнова Ольга Петровна;г. Рязань, ул. Ленина, д. 1, кв. 2;;4821;+79001112233;ivanov@example.com
    energo;100200301;legal;ООО «Хлеб»;г. Рязань, ул. Есенина, д. 5;1001;;;
"""


def refused_reason(report, kind):
    reason = by_kind(report)[kind]["refused"]
    assert "\n" not in reason  # one line
    return reason


def holders(tenant):
    with tenant_scope(tenant):
        return dict(Account.objects.values_list("number", "holder_name"))


def test_a_last_line_without_a_line_break_refuses_the_file_and_changes_nothing(imported, tmp_path):
    before = stored_snapshot(imported)
    path = write_csv(tmp_path, "accounts.csv", RENAMED_ACCOUNTS)
    path.write_bytes(path.read_bytes()[:-12])  # a copy interrupted in the last line

    report = run_import(imported, path, refused=True)

    assert refused_reason(report, "accounts") == (
        "line 3: the last line does not end with a line break: file cut off?")
    assert stored_snapshot(imported) == before
    with tenant_scope(imported):
        assert ImportFile.objects.filter(name="accounts.csv").latest("pk").problem == (
            "строка 3: последняя строка не заканчивается переводом строки: файл обрезан?")


def test_a_file_cut_in_its_header_is_refused_as_cut_off(alpha, tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_bytes(b"supplier;account_number;subscr")
    report = run_import(alpha, path, refused=True)
    assert refused_reason(report, "accounts") == "line 1: the last line does not end with a line break: file cut off?"


@pytest.mark.parametrize("trailer, refused", [
    ("#rows;2", None),
    ("#ROWS;2", None),
    ("#rows;3", "line 4 says 3 rows, the file has 2: file cut off?"),
    ("#rows;two", "line 4: the «#rows» line must be «#rows;N», N the number of rows"),
])
def test_a_trailer_declares_the_row_count_and_is_checked(imported, tmp_path, trailer, refused):
    before = stored_snapshot(imported)
    path = write_csv(tmp_path, "accounts.csv", RENAMED_ACCOUNTS + f"    {trailer}\n")

    report = run_import(imported, path, refused=bool(refused))

    if refused:
        assert refused_reason(report, "accounts") == refused
        assert stored_snapshot(imported) == before
    else:
        assert by_kind(report)["accounts"]["read"] == 2  # the trailer is no row
        assert holders(imported)["100200300"] == "Смирнова Ольга Петровна"


def test_a_trailer_must_be_the_last_line(alpha, tmp_path):
    text = RENAMED_ACCOUNTS.replace("    energo;100200301", "    #rows;2\n    energo;100200301")
    report = run_import(alpha, write_csv(tmp_path, "accounts.csv", text), refused=True)
    assert refused_reason(report, "accounts") == "line 3: the «#rows» line must be the file's last"
    assert holders(alpha) == {}


def test_the_rows_flag_is_checked_and_takes_one_file(imported, tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    before = stored_snapshot(imported)
    path = write_csv(tmp_path, "accounts.csv", RENAMED_ACCOUNTS)
    report = run_import(imported, path, "--rows", "3", refused=True)
    assert refused_reason(report, "accounts") == "--rows says 3 rows, the file has 2: file cut off?"
    assert stored_snapshot(imported) == before

    run_import(imported, path, "--rows", "2")
    assert holders(imported)["100200300"] == "Смирнова Ольга Петровна"

    other = write_csv(tmp_path, "counterparties.csv", EXCHANGE_FILES["counterparties"])
    with pytest.raises(CommandError, match="--rows counts the data rows of one file"):
        call_command("import_billing", "--tenant", imported.slug, path, other, "--rows", "2")


@pytest.mark.parametrize("encoding, looks_like", [("koi8_r", "KOI8-R"), ("cp866", "DOS cp866")])
def test_a_cyrillic_file_in_another_encoding_is_refused_and_never_imported_as_mojibake(
        imported, tmp_path, encoding, looks_like):
    before = stored_snapshot(imported)
    path = write_csv(tmp_path, "accounts.csv", RENAMED_ACCOUNTS.replace("«Хлеб»", '"Хлеб"'), encoding=encoding)

    report = run_import(imported, path, refused=True)

    reason = refused_reason(report, "accounts")
    assert reason.startswith(f"looks like {looks_like}, not UTF-8 or windows-1251: save it as UTF-8 or "
                             "windows-1251, or give --encoding ")
    assert stored_snapshot(imported) == before
    with tenant_scope(imported):
        assert ImportFile.objects.filter(name="accounts.csv").latest("pk").problem.startswith(f"файл похож на кодировку {looks_like}")

    # Named by the operator, it is read as what it is.
    run_import(imported, path, "--encoding", encoding)
    assert holders(imported)["100200300"] == "Смирнова Ольга Петровна"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_utf16_file_with_a_bom_is_read_correctly(imported, tmp_path, encoding):
    path = write_csv(tmp_path, "accounts.csv", RENAMED_ACCOUNTS, encoding=encoding)
    if encoding == "utf-16-be":  # Python writes the BOM for "utf-16" only
        path.write_bytes(b"\xfe\xff" + path.read_bytes())

    report = run_import(imported, path)

    assert by_kind(report)["accounts"]["updated"] == 1
    assert holders(imported) == {"100200300": "Смирнова Ольга Петровна", "100200301": "ООО «Хлеб»"}


def test_a_utf16_file_without_a_bom_is_refused_saying_so(imported, tmp_path):
    before = stored_snapshot(imported)
    path = write_csv(tmp_path, "accounts.csv", RENAMED_ACCOUNTS, encoding="utf-16-le")
    report = run_import(imported, path, refused=True)
    assert refused_reason(report, "accounts").startswith("looks like UTF-16 without a byte order mark: save it as UTF-8")
    assert stored_snapshot(imported) == before


# --- Real generated files, cut at random --------------------------------------------------


@pytest.fixture
def gaz_files(tenants, tmp_path):
    """A plain tenant with gaz's suppliers and the demo's generated files of gaz imported."""
    tenant = tenants[0]
    with tenant_scope(tenant):
        for fields in demo.SUPPLIERS["gaz"]:
            Supplier.objects.create(tenant=tenant, **fields, **demo.payee_details(fields["code"]))
        (tmp_path / "gaz").mkdir()
        paths = demo_data.write_exchange_files(tmp_path / "gaz", demo_data.demo_accounts("gaz")[:6],
                                               date(2026, 11, 15))
        report = import_files(tenant, sources_from_paths(paths))
        assert report.written and not any(item.problem for item in report.files)
    return tenant, {path.stem: path for path in paths}


def cuts(data, rng):
    """Byte positions to cut ``data`` at: random ones, and some in the middle of a UTF-8
    character; never right after a line break (a file cut there looks whole without a
    row count: see the --rows test below)."""
    middles = [index for index, byte in enumerate(data) if 0x80 <= byte < 0xC0 and data[index - 1] >= 0xC0]
    positions = rng.sample(range(len(data) // 2, len(data) - 1), 6) + rng.sample(middles, 3)
    return [position for position in positions if data[position - 1:position] != b"\n"]


@pytest.mark.parametrize("kind", ["accounts", "charges"])
def test_a_generated_file_cut_at_a_random_byte_changes_nothing(gaz_files, tmp_path, kind):
    tenant, paths = gaz_files
    data = paths[kind].read_bytes()
    before = stored_snapshot(tenant)
    rng = random.Random(f"cut:{kind}")
    problems = []
    for position in cuts(data, rng):
        path = tmp_path / "cut" / f"{kind}.csv"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data[:position])
        with tenant_scope(tenant):
            report = import_files(tenant, sources_from_paths([path]))
            problem = report.files[0].problem
            import_run_record(tenant, report, dry_run=False, user=None)
        assert problem.endswith("file cut off?") and problem.startswith("line "), (position, problem)
        assert report.files[0].problem_ru.endswith("файл обрезан?")
        assert stored_snapshot(tenant) == before, position
        problems.append(problem)
    assert any("ends in the middle of a character" in problem for problem in problems)


def test_a_generated_file_cut_at_a_line_break_is_caught_by_its_row_count(gaz_files, tmp_path):
    tenant, paths = gaz_files
    data = paths["charges"].read_bytes()
    rows = data.count(b"\n") - 1
    before = stored_snapshot(tenant)
    cut = write_csv(tmp_path / "cut", "charges.csv", "x")
    cut.write_bytes(data[:data.rindex(b"\n", 0, len(data) - 1) + 1])  # the last row lost whole

    report = run_import(tenant, cut, "--rows", str(rows), refused=True)

    assert refused_reason(report, "charges") == f"--rows says {rows} rows, the file has {rows - 1}: file cut off?"
    assert stored_snapshot(tenant) == before


# --- The admin's upload ----------------------------------------------------------------------


@pytest.mark.parametrize("data, problem", [
    (RENAMED_ACCOUNTS.encode("cp1251")[:-20], "последняя строка не заканчивается переводом строки: файл обрезан?"),
    (RENAMED_ACCOUNTS.replace("«Хлеб»", "Хлеб").encode("koi8_r"), "файл похож на кодировку KOI8-R, а не UTF-8 или "
                                                                 "windows-1251: сохраните его в UTF-8 или windows-1251"),
    ((RENAMED_ACCOUNTS + "#rows;5\n").encode("utf-8"), "указано строк данных — 5, в файле — 2: файл обрезан?"),
])
def test_an_upload_in_the_admin_gets_the_same_checks_in_russian(imported, tmp_path, monkeypatch, data, problem):
    from django.core.files.storage import FileSystemStorage
    from django.core.files.uploadedfile import SimpleUploadedFile

    from billing import services, tasks

    storage = FileSystemStorage(location=tmp_path / "private")
    for name in ("upload", "rejected_lines"):
        monkeypatch.setattr(ImportFile._meta.get_field(name), "storage", storage)
    monkeypatch.setattr(tasks.run_import, "delay", lambda **kwargs: None)
    before = stored_snapshot(imported)
    text = "\n".join(line.strip() for line in data.decode("latin-1").strip("\n").split("\n"))
    if data.endswith(b"\n"):
        text += "\n"
    upload = SimpleUploadedFile("accounts.csv", text.encode("latin-1"))
    with tenant_scope(imported):
        run = services.import_start_uploaded(imported, user=None, uploads=[upload])
        services.import_run_uploaded(imported, run.pk)
        recorded = ImportFile.objects.get(run=run)
    assert recorded.problem.endswith(problem) and "\n" not in recorded.problem
    assert stored_snapshot(imported) == before
