"""«Скачать мои данные»: one ZIP with ``data.json`` (every section) and a CSV per section.

CSV files are written for Russian Excel: UTF-8 with a BOM (without it Excel reads
cp1251) and ``;`` between cells (the list separator of the Russian locale, where ``,`` is
the decimal comma), so that a double click opens them in columns. Any text cell that a
spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return, OWASP's list) is written with a leading apostrophe: an appeal's text or a
name typed as ``=HYPERLINK(...)`` stays text. Numbers and dates are not touched (a negative
amount is a number, not a formula); JSON needs no such guard and keeps every value as is.

The archive is built in a SpooledTemporaryFile: in memory up to SPOOL_BYTES, on disk past
that, so a person with years of readings does not hold a worker's memory.
"""

import csv
import datetime
import io
import json
import zipfile
from decimal import Decimal
from tempfile import SpooledTemporaryFile

from django.utils import timezone

from portal.spreadsheet import not_a_formula

from .registry import export_sections

SPOOL_BYTES = 8 * 1024 * 1024
CSV_DELIMITER = ";"


def plain(value):
    """A row's value as JSON holds it: times in the current (tenant's) zone, ISO 8601."""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def csv_cell(value):
    """A cell: text that starts like a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, str):
        return not_a_formula(value)
    return str(plain(value))


def section_csv(rows):
    """The rows as CSV text (with the BOM); columns in the order they first appear. A
    section without rows is the BOM alone: there are no columns to name."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    out = io.StringIO()
    out.write("\ufeff")
    if not columns:
        return out.getvalue()
    writer = csv.writer(out, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row.get(column)) for column in columns])
    return out.getvalue()


def user_data_archive(user, *, now=None):
    """The user's data as a ZIP, in a file object positioned at its start."""
    sections = export_sections(user)
    document = {
        "generated_at": plain(now or timezone.now()),
        "organisation": user.tenant.name,
        "sections": {name: [{key: plain(value) for key, value in row.items()} for row in rows]
                     for name, rows in sections.items()},
    }
    archive = SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - handed to the response, which closes it
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("data.json", json.dumps(document, ensure_ascii=False, indent=2))
        for name, rows in sections.items():
            bundle.writestr(f"{name}.csv", section_csv(rows).encode("utf-8"))
    archive.seek(0)
    return archive
