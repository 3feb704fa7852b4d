"""Exchange files: what kind a file is (from its name), the order files are applied in, and
reading one into staging rows."""

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from . import encodings, registry
from .values import RowError


class FileRefused(Exception):
    """The whole file is refused (a missing column, an unknown kind, an undecodable byte, a
    file cut off): ``str()`` says why in English (the command), ``russian`` for the admin."""

    def __init__(self, english, russian=None):
        super().__init__(english)
        self.russian = russian or english


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
                      f"по имени непонятно, что в файле: имя должно начинаться с одного из слов {', '.join(names)} "
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

# The optional last line that says how many rows the file holds (shared/EXCHANGE.md): a copy
# cut off at a line break is otherwise a shorter file that looks whole.
TRAILER = "#rows"


def detect_encoding(binary):
    """The codec to read ``binary`` with (portal.exchange.encodings), or FileRefused."""
    try:
        return encodings.detect_encoding(binary)
    except encodings.EncodingRefused as refused:
        raise FileRefused(str(refused), refused.russian) from None


class _Lines:
    """The text's lines, remembering the last one (does it end with a line break?)."""

    def __init__(self, stream):
        self.stream = stream
        self.last = ""

    def __iter__(self):
        for line in self.stream:
            self.last = line
            yield line


def read_rows(binary, kind, report, context, encoding=None, rows=None):
    """Yield the staging tuple of every data row (line, values…, derived values…, reason
    fields), checking the header first. Good rows have reason None. A file cut off (its last
    line without a line break, or fewer rows than its trailer or ``rows`` say) is refused
    when its end is reached, so the caller's transaction rolls back what was staged."""
    encoding = encoding or detect_encoding(binary)
    lines = None
    try:
        lines = _Lines(io.TextIOWrapper(binary, encoding=encoding, newline=""))
        reader = csv.reader(lines, delimiter=";")
        header = next(reader, None)
    except (UnicodeDecodeError, LookupError) as error:
        raise _undecodable(error, encoding, 1) from None
    if not header:
        raise FileRefused("the file is empty: no header row", "файл пуст: нет строки заголовка")
    names = [name.strip().lower().lstrip("\ufeff") for name in header]
    columns = kind.columns
    known = {column.name for column in columns}
    twice = sorted({name for name in names if name in known and names.count(name) > 1})
    if twice:  # which of the two is meant? Taking the first silently would import a guess
        raise FileRefused(f"column named twice: {', '.join(twice)}",
                          f"столбец назван дважды: {', '.join(twice)}")
    missing = [column.name for column in columns if column.required and column.name not in names]
    if missing:
        if _cut_off(lines) and reader.line_num == 1:
            raise _cut_off_refusal(1)
        raise FileRefused(f"required column missing: {', '.join(missing)}",
                          f"нет обязательного столбца: {', '.join(missing)}")
    report.warnings.extend(f"unknown column «{name}» ignored" for name in names if name and name not in known)
    report.columns = set(names)
    positions = [names.index(column.name) if column.name in names else None for column in columns]
    width = len(names)
    complete_row = kind.complete_row
    last_line = reader.line_num
    trailer = None  # (line, count) of the #rows line
    try:
        for row in reader:
            # A row's line is where it starts (a quoted cell may run over several lines).
            line, last_line = last_line + 1, reader.line_num
            if not "".join(row).strip():
                continue  # a blank line (often the last) is no row
            if trailer is not None:
                raise FileRefused(f"line {trailer[0]}: the «{TRAILER}» line must be the file's last",
                                  f"строка {trailer[0]}: строка «{TRAILER}» должна быть последней в файле")
            if row[0].strip().lower() == TRAILER:
                trailer = (line, _trailer_count(row, line))
                continue
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
        raise _undecodable(error, encoding, reader.line_num + 1) from None
    except csv.Error as error:
        raise FileRefused(f"line {reader.line_num}: {error}", f"строка {reader.line_num}: {error}") from None
    if _cut_off(lines):
        raise _cut_off_refusal(reader.line_num)
    if trailer is not None and trailer[1] != report.read:
        raise FileRefused(
            f"line {trailer[0]} says {trailer[1]} rows, the file has {report.read}: file cut off?",
            f"строка {trailer[0]}: указано строк данных — {trailer[1]}, в файле — {report.read}: файл обрезан?")
    if rows is not None and rows != report.read:
        raise FileRefused(f"--rows says {rows} rows, the file has {report.read}: file cut off?",
                          f"ожидалось строк данных — {rows}, в файле — {report.read}: файл обрезан?")


def check_whole(binary):
    """What can be told of a file before it is imported (the admin's upload form): its
    encoding, and whether it is cut off in its last line; FileRefused. The row count of its
    trailer is checked by the import. Rewinds the file."""
    encoding = detect_encoding(binary)
    stream = io.TextIOWrapper(binary, encoding=encoding, newline="")
    lines, last = 0, ""
    try:
        for last in stream:
            lines += 1
    except UnicodeDecodeError as error:
        raise _undecodable(error, encoding, lines + 1) from None
    finally:
        stream.detach()
        binary.seek(0)
    if last and not last.endswith(("\n", "\r")):
        raise _cut_off_refusal(lines)


def _cut_off(lines):
    return bool(lines.last) and not lines.last.endswith(("\n", "\r"))


def _cut_off_refusal(line):
    return FileRefused(f"line {line}: the last line does not end with a line break: file cut off?",
                       f"строка {line}: последняя строка не заканчивается переводом строки: файл обрезан?")


def _trailer_count(row, line):
    count = row[1].strip() if len(row) > 1 else ""
    if not count.isdigit() or any(cell.strip() for cell in row[2:]):
        raise FileRefused(f"line {line}: the «{TRAILER}» line must be «{TRAILER};N», N the number of rows",
                          f"строка {line}: строка «{TRAILER}» должна иметь вид «{TRAILER};N», где N — число строк данных")
    return int(count)


def _undecodable(error, encoding, line):
    if isinstance(error, LookupError):
        return FileRefused(f"unknown encoding {encoding}", f"неизвестная кодировка {encoding}")
    if error.reason in ("unexpected end of data", "truncated data"):  # a character cut in half at the end
        return FileRefused(f"line {line}: the file ends in the middle of a character: file cut off?",
                           f"строка {line}: файл кончается посреди символа: файл обрезан?")
    return FileRefused(f"cannot be read as {encoding}: {error}",
                       f"файл не читается в кодировке {encoding}: байт {error.object[error.start:error.start + 1].hex()} "
                       f"в позиции {error.start}")


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
