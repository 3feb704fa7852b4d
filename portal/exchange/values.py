"""Single values of an exchange file: the parsers a file kind's columns use, and the reasons a
value is refused.

A parser takes ``(context, column, raw)`` — the run's Context, the column's name, the cell
stripped and not empty — and returns the value's canonical text (numbers with a point, ISO
dates), which the staging table takes as it is; or raises RowError, which rejects the row
with that reason. The factories (``number(4)``, ``one_of("a", "b")``, ``text(500)``) make
parsers of their arguments.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import connection

from portal.phones import normalize_phone

# Reasons, by code: English for the command, Russian for staff in the admin. `column` and
# `value` come from the row, `detail` from the parser or the database (a limit, a line
# number). The apps' exchange modules add the reasons their kinds' SQL gives (REASONS).
REASONS = {
    "required": ("{column} is empty", "не заполнено поле {column}"),
    "not_a_number": ("{column}: «{value}» is not a number", "{column}: «{value}» — не число"),
    "decimals": ("{column}: «{value}» has more than {detail} decimals",
                 "{column}: в «{value}» больше {detail} знаков после запятой"),
    "too_large": ("{column}: «{value}» is too large", "{column}: «{value}» — слишком большое число"),
    "negative": ("{column}: «{value}» is negative", "{column}: «{value}» — отрицательное число"),
    "not_a_date": ("{column}: «{value}» is not a date (YYYY-MM-DD or DD.MM.YYYY)",
                   "{column}: «{value}» — не дата (ГГГГ-ММ-ДД или ДД.ММ.ГГГГ)"),
    "not_a_period": ("{column}: «{value}» is not a period (YYYY-MM)", "{column}: «{value}» — не период (ГГГГ-ММ)"),
    "not_a_time": ("{column}: «{value}» is not a time with a UTC offset (2026-05-01T10:00:00+03:00)",
                   "{column}: «{value}» — не время с часовым поясом (2026-05-01T10:00:00+03:00)"),
    "future": ("{column}: «{value}» is in the future", "{column}: «{value}» — в будущем"),
    "choice": ("{column}: «{value}» is not one of: {detail}", "{column}: «{value}» — не одно из: {detail}"),
    "not_an_integer": ("{column}: «{value}» is not a whole number from {detail}",
                       "{column}: «{value}» — не целое число от {detail}"),
    "unclosed_quote": ("{column}: the quote this cell opens is not closed, so the cell runs over lines {detail} "
                       "(the rows there were not read)",
                       "{column}: кавычка в начале поля не закрыта, и поле захватило строки {detail} "
                       "(строки в них не прочитаны)"),
    "nul": ("{column}: contains a NUL character (is the file plain text?)",
            "{column}: содержит символ NUL (файл точно текстовый?)"),
    "too_long": ("{column}: longer than {detail} characters", "{column}: длиннее {detail} символов"),
    "phone": ("{column}: «{value}» is not a Russian mobile number", "{column}: «{value}» — не номер мобильного"),
    "email": ("{column}: «{value}» is not an e-mail address", "{column}: «{value}» — не адрес e-mail"),
    "inn": ("{column}: «{value}» is not an INN (10 or 12 digits)", "{column}: «{value}» — не ИНН (10 или 12 цифр)"),
    "kpp": ("{column}: «{value}» is not a KPP (9 characters)", "{column}: «{value}» — не КПП (9 знаков)"),
    "superseded": ("superseded by line {detail} (same key)", "заменена строкой {detail} (тот же ключ)"),
}


class RowError(Exception):
    def __init__(self, code, column, value="", detail=""):
        super().__init__(code)
        self.code, self.column, self.value, self.detail = code, column, value, detail


@dataclass
class Context:
    """What parsing a row needs to know beyond the row: the tenant, today, and the backend."""

    tenant_id: int
    today: date
    now: datetime
    this_month: date
    postgres: bool


# re.ASCII: `\d` alone also takes other scripts' digits («١٢»), which PostgreSQL's numeric
# refuses in the middle of a COPY (the whole run failed instead of the row).
_NUMBER = re.compile(r"(-?)(\d+)(?:[.,](\d+))?", re.ASCII)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_RU_DATE = re.compile(r"(\d{2})\.(\d{2})\.(\d{4})", re.ASCII)
_PERIOD = re.compile(r"(\d{4})-(\d{2})", re.ASCII)
_MAX_OFFSET = timedelta(hours=14)  # the world's offsets are -12:00 to +14:00
_EMAIL = re.compile(r"[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+")
_INN = re.compile(r"\d{10}|\d{12}", re.ASCII)
_KPP = re.compile(r"\d{4}[\dA-Z]{2}\d{3}", re.ASCII)


# --- Numbers ----------------------------------------------------------------------------


def decimal_text(column, raw, *, decimals, whole=12, negative=True):
    """Canonical text of a decimal ("1 234,5" is not a number; "1234,5" is "1234.5")."""
    # A million rows run through here several times each: one match, and the slower
    # checks only where the fast ones cannot decide.
    match = _NUMBER.fullmatch(raw)
    if match is None:
        raise RowError("not_a_number", column, raw)
    sign, integer, fraction = match.groups()
    if fraction is None:
        text = raw
    else:
        if len(fraction) > decimals and len(fraction.rstrip("0")) > decimals:
            raise RowError("decimals", column, raw, decimals)
        text = raw.replace(",", ".")
    if len(integer) > whole and len(integer.lstrip("0")) > whole:
        raise RowError("too_large", column, raw)
    if sign and not negative:
        raise RowError("negative", column, raw)
    return text


def number(decimals, *, whole=12, negative=True):
    """A decimal of at most ``decimals`` decimals and ``whole`` whole digits."""
    return lambda context, column, raw: decimal_text(column, raw, decimals=decimals, whole=whole, negative=negative)


def money(context, column, raw):
    return decimal_text(column, raw, decimals=2)


def whole_number(low, high):
    """An integer from ``low`` to ``high``."""

    def parse(context, column, raw):
        # isascii: str.isdigit() is also true of «²», which int() refuses.
        if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
            raise RowError("not_an_integer", column, raw, f"{low} to {high}")
        return int(raw)

    return parse


# --- Days and times -----------------------------------------------------------------------


def _date(column, raw):
    match = _RU_DATE.fullmatch(raw)
    text = f"{match[3]}-{match[2]}-{match[1]}" if match else raw
    if not _ISO_DATE.fullmatch(text):
        raise RowError("not_a_date", column, raw)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RowError("not_a_date", column, raw) from None


def day(*, past=False):
    """A date, YYYY-MM-DD or DD.MM.YYYY; with ``past``, not after today."""

    def parse(context, column, raw):
        value = _date(column, raw)
        if past and value > context.today:
            raise RowError("future", column, raw)
        return value.isoformat()

    return parse


def period(context, column, raw):
    """A month, YYYY-MM, not after this one: its first day."""
    match = _PERIOD.fullmatch(raw)
    if not match or not 1 <= int(match[2]) <= 12 or match[1] == "0000":
        raise RowError("not_a_period", column, raw)
    value = date(int(match[1]), int(match[2]), 1)
    if value > context.this_month:
        raise RowError("future", column, raw)
    return value.isoformat()


def moment(context, column, raw):
    """A time with a UTC offset, not in the future."""
    try:
        value = datetime.fromisoformat(raw.replace(" ", "T", 1))
    except ValueError:
        raise RowError("not_a_time", column, raw) from None
    if value.tzinfo is None or abs(value.utcoffset()) > _MAX_OFFSET:
        raise RowError("not_a_time", column, raw)
    try:
        # In UTC: PostgreSQL takes offsets up to ±15:59 only (Python's up to ±23:59 failed
        # the whole COPY), and a time before year 1 in UTC cannot be read back.
        value = value.astimezone(UTC)
    except OverflowError:
        raise RowError("not_a_time", column, raw) from None
    if value > context.now:
        raise RowError("future", column, raw)
    # The text each backend stores: PostgreSQL reads the offset; Django keeps SQLite's
    # datetimes as naive UTC text.
    return value.isoformat() if context.postgres else connection.ops.adapt_datetimefield_value(value)


# --- Text ----------------------------------------------------------------------------------


def one_of(*choices):
    def parse(context, column, raw):
        if raw not in choices:
            raise RowError("choice", column, raw, ", ".join(choices))
        return raw

    return parse


def text(limit):
    """Any text of at most ``limit`` characters."""

    def parse(context, column, raw):
        if len(raw) > limit:
            raise RowError("too_long", column, raw[:40], limit)
        return raw

    return parse


def phones(context, column, raw):
    """Russian mobile numbers separated by commas: normalised, each once."""
    numbers = []
    for part in filter(None, (piece.strip() for piece in raw.split(","))):
        try:
            numbers.append(normalize_phone(part))
        except Exception:
            raise RowError("phone", column, part) from None
    return ",".join(dict.fromkeys(numbers))


def emails(context, column, raw):
    """E-mail addresses separated by commas: in lower case, each once."""
    addresses = []
    for part in filter(None, (piece.strip() for piece in raw.split(","))):
        if not _EMAIL.fullmatch(part) or len(part) > 254:
            raise RowError("email", column, part)
        addresses.append(part.lower())
    return ",".join(dict.fromkeys(addresses))


def inn(context, column, raw):
    if not _INN.fullmatch(raw):
        raise RowError("inn", column, raw)
    return raw


def kpp(context, column, raw):
    if not _KPP.fullmatch(raw):
        raise RowError("kpp", column, raw)
    return raw
