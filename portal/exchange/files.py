"""Exchange files: what kind a file is (from its name), the order files are applied in, and
reading one into staging rows."""

import codecs
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from . import registry
from .values import RowError


class FileRefused(Exception):
    """The whole file is refused (a missing column, an unknown kind, an undecodable byte):
    the message in English for the command's report, ``russian`` for staff in the admin."""

    def __init__(self, message, russian=""):
        super().__init__(message)
        self.russian = russian or message


def kind_of(path):
    """The kind of a file from its name: `accounts.csv`, `accounts_2026-05.csv`, `Charges-1.CSV`."""
    stem = Path(path).name.lower()
    if stem.startswith(registry.registry().portal_files):
        raise FileRefused("this is an export file of the portal, not a file to import",
                          "это файл выгрузки портала, а не файл для загрузки")
    names = registry.kind_names()
    for kind in names:
        if re.match(rf"{kind}(?![a-z0-9])", stem) and stem.endswith(".csv"):
            return kind
    raise FileRefused(f"the name does not say what it holds: it should start with one of {', '.join(names)} "
                      "and end with .csv",
                      f"по имени файла непонятно, что в нём: имя должно начинаться с одного из {', '.join(names)} "
                      "и заканчиваться на .csv")


def apply_order(name):
    """Sort key: by kind in the order files are applied, then by name; unknown kinds last."""
    names = registry.kind_names()
    try:
        return (names.index(kind_of(name)), name)
    except FileRefused:
        return (len(names), name)


def expand_paths(paths):
    """Files from files and directories (a directory's *.csv, not recursive), in the order
    they must be applied, then by name."""
    files = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted(child for child in path.iterdir() if child.suffix.lower() == ".csv"))
        else:
            files.append(path)

    return sorted(files, key=lambda path: apply_order(path.name))


@dataclass
class Source:
    """A file to import: its name and how to open it (a path, or an upload in storage)."""

    name: str
    open: object  # () -> binary file object


def sources_from_paths(paths):
    return [Source(path.name, lambda path=path: open(path, "rb")) for path in expand_paths(paths)]


# --- Reading a file ----------------------------------------------------------------------


def detect_encoding(binary, chunk_size=1 << 20):
    """'utf-8-sig' (a BOM), 'utf-8' when every byte decodes as UTF-8, else 'cp1251'. Reads
    the whole file once, a chunk at a time, then rewinds it."""
    start = binary.read(3)
    if start == codecs.BOM_UTF8:
        binary.seek(0)
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(start)
        while chunk := binary.read(chunk_size):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = "cp1251"
    binary.seek(0)
    return encoding


def read_rows(binary, kind, report, context, encoding=None):
    """Yield the staging tuple of every data row (line, values…, derived values…, reason
    fields), checking the header first. Good rows have reason None."""
    encoding = encoding or detect_encoding(binary)
    try:
        stream = io.TextIOWrapper(binary, encoding=encoding, newline="")
        reader = csv.reader(stream, delimiter=";")
        header = next(reader, None)
    except (UnicodeDecodeError, LookupError) as error:
        raise FileRefused(f"cannot be read as {encoding}: {error}",
                          f"не читается в кодировке {encoding}: {error}") from None
    if not header:
        raise FileRefused("the file is empty: no header row", "файл пуст: нет строки заголовков")
    names = [name.strip().lower().lstrip("\ufeff") for name in header]
    columns = kind.columns
    known = {column.name for column in columns}
    twice = sorted({name for name in names if name in known and names.count(name) > 1})
    if twice:  # which of the two is meant? Taking the first silently would import a guess
        raise FileRefused(f"column named twice: {', '.join(twice)}",
                          f"столбец указан дважды: {', '.join(twice)}")
    missing = [column.name for column in columns if column.required and column.name not in names]
    if missing:
        raise FileRefused(f"required column missing: {', '.join(missing)}",
                          f"нет обязательного столбца: {', '.join(missing)}")
    report.warnings.extend(f"unknown column «{name}» ignored" for name in names if name and name not in known)
    report.columns = set(names)
    positions = [names.index(column.name) if column.name in names else None for column in columns]
    width = len(names)
    complete_row = kind.complete_row
    last_line = reader.line_num
    try:
        for row in reader:
            # A row's line is where it starts (a quoted cell may run over several lines).
            line, last_line = last_line + 1, reader.line_num
            if not "".join(row).strip():
                continue  # a blank line (often the last) is no row
            report.read += 1
            values = []
            error = None
            if last_line != line:
                error = _unclosed_quote(row, names, known, line, last_line)
            if len(row) < width:
                row = row + [""] * (width - len(row))
            for column, position in zip(columns, positions):
                raw = row[position].strip() if position is not None else ""
                if "\x00" in raw:  # PostgreSQL's text cannot hold it: the COPY would fail the file
                    error = error or RowError("nul", column.name)
                    values.append(column.default)
                    continue
                if not raw:
                    if column.required and error is None:
                        error = RowError("required", column.name)
                    values.append(column.default)
                    continue
                if column.parse is None:
                    values.append(raw)
                    continue
                try:
                    values.append(column.parse(context, column.name, raw))
                except RowError as problem:
                    error = error or problem
                    values.append(column.default)
            if complete_row is not None:
                complete_row(context, values)
            if error is None:
                yield (line, *values, None, None, None, None)
            else:
                yield (line, *values, error.code, error.column, str(error.value)[:200], str(error.detail))
    except UnicodeDecodeError as error:
        raise FileRefused(f"cannot be read as {encoding}: {error}",
                          f"не читается в кодировке {encoding}: {error}") from None
    except csv.Error as error:
        raise FileRefused(f"line {reader.line_num}: {error}", f"строка {reader.line_num}: {error}") from None


def _unclosed_quote(row, names, known_columns, first, last):
    """A RowError when a cell of a row running over lines ``first``–``last`` swallowed
    other rows: a quote at the start of a cell that is never closed makes csv read on to
    the next quote or the end of the file, and the rows in between silently vanished. A
    line break followed by a `;` inside one cell is that (a cell of text with a line break
    of its own has no `;` after it)."""
    for position, cell in enumerate(row):
        for separator in ("\n", "\r"):
            _before, found, after = cell.partition(separator)
            if found and ";" in after:
                # The file's own header names only where they are ours: a reason must not
                # start with what a file chose (a «=HYPERLINK(…)» in the rejected lines' CSV).
                ours = position < len(names) and names[position] in known_columns
                column = names[position] if ours else f"#{position + 1}"
                return RowError("unclosed_quote", column, "", f"{first}–{last}")
    return None
