"""Import of billing's exchange files (shared/EXCHANGE.md) into a tenant, set-based.

Per file, in one transaction (so a crash or Ctrl-C leaves the database as it was before
that file):

1. *Read* — decode (UTF-8 with or without BOM, else windows-1251), check the header, and
   parse each row in Python into canonical text (numbers with a point, ISO dates): only
   the checks of a single value happen here, and a failing row keeps its line and reason.
2. *Stage* — every row, good or bad, goes into a temporary table: `COPY` on PostgreSQL,
   batched inserts on SQLite. Nothing is held in memory per row.
3. *Resolve* — one `CREATE TEMP TABLE … AS SELECT` joins the staged rows to what they name
   (supplier, account, meter, the existing row of the same natural key), adds the reasons
   only the database can give (an unknown account, more digits than the meter has), marks
   all but the last line of a repeated key as superseded, and classifies each good row as
   create, update or unchanged (`IS DISTINCT FROM` on every column).
4. *Apply* — one `INSERT … SELECT` and one `UPDATE … FROM`; charges also rebuild their
   periods' invoices the same way.

Imports of one tenant are serialised (an advisory lock on PostgreSQL; SQLite has one
writer anyway), so the classification cannot race another import's insert.
"""

import codecs
import contextlib
import csv
import io
import re
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from portal.phones import normalize_phone

from . import pins
from .models import Account, Service
from .signals import billing_data_changed

# The order files are applied in, whatever order they are given: each kind names rows of
# the kinds before it.
KINDS = ("counterparties", "contracts", "accounts", "meters", "readings", "charges", "payments")
EXPORT_FILE_PREFIXES = ("readings_export", "payments_export")
STAGING_BATCH = 5000
REJECTED_SHOWN = 20


class FileRefused(Exception):
    """The whole file is refused (a missing column, an unknown kind, an undecodable byte)."""


# Reasons, by code: English for the command, Russian for staff in the admin. `column` and
# `value` come from the row, `detail` from the database (a limit, a line number).
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
    "unknown_supplier": ("unknown supplier «{value}»", "неизвестный поставщик «{value}»"),
    "unknown_counterparty": ("no counterparty with INN {value} (counterparties.csv comes first)",
                             "нет контрагента с ИНН {value} (сначала counterparties.csv)"),
    "unknown_account": ("unknown account {value}", "неизвестный лицевой счёт {value}"),
    "unknown_meter": ("unknown meter {value}", "неизвестный прибор учёта {value}"),
    "digits": ("value «{value}» has more digits than the meter ({detail} before and after the point)",
               "в показании «{value}» больше разрядов, чем у прибора ({detail} до и после запятой)"),
    "zone": ("zone {value} but the meter has {detail}", "зона {value}, а у прибора зон: {detail}"),
    "unknown_portal_reading": ("portal reading {value} does not exist for this meter",
                               "показания {value} из личного кабинета у этого прибора нет"),
    "not_exported": ("portal reading {value} was never exported", "показание {value} ещё не выгружалось"),
    "verdict_needs_status": ("a row with portal_reading_id needs status accepted or rejected",
                             "для строки с portal_reading_id нужен status accepted или rejected"),
    "status_without_id": ("status is only for rows with portal_reading_id",
                          "status указывается только вместе с portal_reading_id"),
    "superseded": ("superseded by line {detail} (same key)", "заменена строкой {detail} (тот же ключ)"),
}


def reason_text(code, *, column="", value="", detail="", language="en"):
    english, russian = REASONS[code]
    template = english if language == "en" else russian
    return template.format(column=column, value=value, detail=detail)


# --- Reading single values -------------------------------------------------------------


class RowError(Exception):
    def __init__(self, code, column, value="", detail=""):
        super().__init__(code)
        self.code, self.column, self.value, self.detail = code, column, value, detail


# re.ASCII: `\d` alone also takes other scripts' digits («١٢»), which PostgreSQL's numeric
# refuses in the middle of a COPY (the whole run failed instead of the row).
_NUMBER = re.compile(r"(-?)(\d+)(?:[.,](\d+))?", re.ASCII)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_RU_DATE = re.compile(r"(\d{2})\.(\d{2})\.(\d{4})", re.ASCII)
_PERIOD = re.compile(r"(\d{4})-(\d{2})", re.ASCII)
_MAX_OFFSET = timedelta(hours=14)  # the world's offsets are -12:00 to +14:00
_EMAIL = re.compile(r"[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+")


def _number(column, raw, *, decimals, whole=12, negative=True):
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


def money(column, raw):
    return _number(column, raw, decimals=2)


def _date(column, raw):
    match = _RU_DATE.fullmatch(raw)
    text = f"{match[3]}-{match[2]}-{match[1]}" if match else raw
    if not _ISO_DATE.fullmatch(text):
        raise RowError("not_a_date", column, raw)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RowError("not_a_date", column, raw) from None


@dataclass
class Context:
    """What parsing a row needs to know beyond the row: today, and the backend."""

    tenant_id: int
    today: date
    now: datetime
    this_month: date
    postgres: bool

    def date(self, column, raw, *, past=False):
        value = _date(column, raw)
        if past and value > self.today:
            raise RowError("future", column, raw)
        return value.isoformat()

    def period(self, column, raw):
        match = _PERIOD.fullmatch(raw)
        if not match or not 1 <= int(match[2]) <= 12 or match[1] == "0000":
            raise RowError("not_a_period", column, raw)
        value = date(int(match[1]), int(match[2]), 1)
        if value > self.this_month:
            raise RowError("future", column, raw)
        return value.isoformat()

    def time(self, column, raw):
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
        if value > self.now:
            raise RowError("future", column, raw)
        # The text each backend stores: PostgreSQL reads the offset; Django keeps SQLite's
        # datetimes as naive UTC text.
        return value.isoformat() if self.postgres else connection.ops.adapt_datetimefield_value(value)


def choice(column, raw, choices):
    if raw not in choices:
        raise RowError("choice", column, raw, ", ".join(choices))
    return raw


def integer(column, raw, low, high):
    # isascii: str.isdigit() is also true of «²», which int() refuses.
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise RowError("not_an_integer", column, raw, f"{low} to {high}")
    return int(raw)


def text(column, raw, limit):
    if len(raw) > limit:
        raise RowError("too_long", column, raw[:40], limit)
    return raw


def phones(column, raw):
    numbers = []
    for part in filter(None, (piece.strip() for piece in raw.split(","))):
        try:
            numbers.append(normalize_phone(part))
        except Exception:
            raise RowError("phone", column, part) from None
    return ",".join(dict.fromkeys(numbers))


def emails(column, raw):
    addresses = []
    for part in filter(None, (piece.strip() for piece in raw.split(","))):
        if not _EMAIL.fullmatch(part) or len(part) > 254:
            raise RowError("email", column, part)
        addresses.append(part.lower())
    return ",".join(dict.fromkeys(addresses))


def inn(column, raw):
    if not re.fullmatch(r"\d{10}|\d{12}", raw, re.ASCII):
        raise RowError("inn", column, raw)
    return raw


def kpp(column, raw):
    if not re.fullmatch(r"\d{4}[\dA-Z]{2}\d{3}", raw, re.ASCII):
        raise RowError("kpp", column, raw)
    return raw


SERVICES = tuple(Service.values)
UNITS = ("kWh", "m3", "Gcal")


# --- Kinds -------------------------------------------------------------------------------


@dataclass
class Column:
    name: str
    sql_type: str  # of the staging column
    required: bool = False
    parse: object = None  # (context, column, raw) -> canonical value; None: text as is
    default: object = None  # used when the cell is empty and the column optional


@dataclass
class Kind:
    name: str
    columns: list
    resolve_sql: str  # SELECT over `staging st` giving the target's columns + reason fields
    target: str
    key: tuple  # target columns of the natural key
    values: tuple  # target columns compared and updated
    key_condition: str = ""  # extra condition on the target row (a partial unique index)
    sources: dict = field(default_factory=dict)  # value column -> file column, where they differ
    after_apply: object = None  # (cursor, tenant_id) -> None, e.g. invoices from charges

    def values_given(self, file_columns):
        """The value columns the file carries: a column the file leaves out keeps what is
        stored (an accounts.csv without `pin` does not clear the PINs); a new row gets the
        column's default."""
        return tuple(name for name in self.values if self.sources.get(name, name) in file_columns)


def _c(name, sql_type, parse=None, *, required=False, default=None):
    return Column(name, sql_type, required, parse, default)


def _text(limit):
    return lambda ctx, col, raw: text(col, raw, limit)


COUNTERPARTIES = Kind(
    name="counterparties",
    columns=[
        _c("inn", "text", lambda ctx, col, raw: inn(col, raw), required=True),
        _c("kpp", "text", lambda ctx, col, raw: kpp(col, raw), default=""),
        _c("name", "text", _text(500), required=True),
        _c("short_name", "text", _text(255), default=""),
    ],
    resolve_sql="""
        SELECT st.line, st.reason, st.reason_column, st.reason_value, st.reason_detail,
               %(tenant)s AS tenant_id, st.inn, st.kpp, st.name, st.short_name
        FROM staging st""",
    target="billing_counterparty",
    key=("tenant_id", "inn"),
    values=("kpp", "name", "short_name"),
)

CONTRACTS = Kind(
    name="contracts",
    columns=[
        _c("supplier", "text", required=True),
        _c("contract_number", "text", _text(50), required=True),
        _c("inn", "text", lambda ctx, col, raw: inn(col, raw), required=True),
        _c("phones", "text", lambda ctx, col, raw: phones(col, raw), default=""),
        _c("emails", "text", lambda ctx, col, raw: emails(col, raw), default=""),
        _c("status", "text", lambda ctx, col, raw: choice(col, raw, ("active", "terminated")), default="active"),
        _c("signed_on", "date", lambda ctx, col, raw: ctx.date(col, raw)),
    ],
    resolve_sql="""
        SELECT st.line,
               CASE WHEN st.reason IS NOT NULL THEN st.reason
                    WHEN s.id IS NULL THEN 'unknown_supplier'
                    WHEN c.id IS NULL THEN 'unknown_counterparty' END AS reason,
               st.reason_column,
               CASE WHEN st.reason IS NOT NULL THEN st.reason_value
                    WHEN s.id IS NULL THEN st.supplier ELSE st.inn END AS reason_value,
               st.reason_detail,
               %(tenant)s AS tenant_id, s.id AS supplier_id, st.contract_number AS number,
               c.id AS counterparty_id, st.phones, st.emails, st.status, st.signed_on
        FROM staging st
        LEFT JOIN billing_supplier s ON s.tenant_id = %(tenant)s AND s.code = st.supplier
        LEFT JOIN billing_counterparty c ON c.tenant_id = %(tenant)s AND c.inn = st.inn""",
    target="billing_contract",
    key=("supplier_id", "number"),
    values=("counterparty_id", "phones", "emails", "status", "signed_on"),
    sources={"counterparty_id": "inn"},
)

ACCOUNTS = Kind(
    name="accounts",
    columns=[
        _c("supplier", "text", required=True),
        _c("account_number", "text", _text(50), required=True),
        _c("subscriber_type", "text", lambda ctx, col, raw: choice(col, raw, tuple(Account.SubscriberType.values)),
           required=True),
        _c("holder_name", "text", _text(500), default=""),
        _c("address", "text", _text(500), default=""),
        _c("contract_number", "text", _text(50), default=""),
        _c("pin", "text", _text(20), default=""),
        _c("phones", "text", lambda ctx, col, raw: phones(col, raw), default=""),
        _c("emails", "text", lambda ctx, col, raw: emails(col, raw), default=""),
        _c("closed_on", "date", lambda ctx, col, raw: ctx.date(col, raw)),
    ],
    resolve_sql="""
        SELECT st.line,
               CASE WHEN st.reason IS NOT NULL THEN st.reason
                    WHEN s.id IS NULL THEN 'unknown_supplier' END AS reason,
               st.reason_column, CASE WHEN st.reason IS NOT NULL THEN st.reason_value ELSE st.supplier END AS reason_value,
               st.reason_detail,
               %(tenant)s AS tenant_id, s.id AS supplier_id, st.account_number AS number,
               st.subscriber_type, st.holder_name, st.address, st.contract_number, st.pin AS pin_hash,
               st.phones, st.emails, st.closed_on
        FROM staging st
        LEFT JOIN billing_supplier s ON s.tenant_id = %(tenant)s AND s.code = st.supplier""",
    target="billing_account",
    key=("supplier_id", "number"),
    values=("subscriber_type", "holder_name", "address", "contract_number", "pin_hash", "phones", "emails",
            "closed_on"),
    sources={"pin_hash": "pin"},
)

# Joins from a row's supplier code and account number to the account, for the kinds below.
_ACCOUNT_JOIN = """
        LEFT JOIN billing_supplier s ON s.tenant_id = %(tenant)s AND s.code = st.supplier
        LEFT JOIN billing_account a ON a.supplier_id = s.id AND a.number = st.account_number"""
_ACCOUNT_REASON = """WHEN s.id IS NULL THEN 'unknown_supplier'
                    WHEN a.id IS NULL THEN 'unknown_account'"""
_ACCOUNT_REASON_VALUE = """WHEN s.id IS NULL THEN st.supplier
                    WHEN a.id IS NULL THEN st.supplier || ' ' || st.account_number"""

METERS = Kind(
    name="meters",
    columns=[
        _c("supplier", "text", required=True),
        _c("account_number", "text", required=True),
        _c("serial", "text", _text(50), required=True),
        _c("service", "text", lambda ctx, col, raw: choice(col, raw, SERVICES), required=True),
        _c("zones", "integer", lambda ctx, col, raw: integer(col, raw, 1, 3), default=1),
        _c("digits", "integer", lambda ctx, col, raw: integer(col, raw, 1, 12), default=8),
        _c("decimals", "integer", lambda ctx, col, raw: integer(col, raw, 0, 4), default=0),
        _c("installed_on", "date", lambda ctx, col, raw: ctx.date(col, raw)),
        _c("verified_until", "date", lambda ctx, col, raw: ctx.date(col, raw)),
        _c("archived_on", "date", lambda ctx, col, raw: ctx.date(col, raw)),
    ],
    resolve_sql=f"""
        SELECT st.line,
               CASE WHEN st.reason IS NOT NULL THEN st.reason {_ACCOUNT_REASON} END AS reason,
               st.reason_column,
               CASE WHEN st.reason IS NOT NULL THEN st.reason_value {_ACCOUNT_REASON_VALUE} END AS reason_value,
               st.reason_detail,
               %(tenant)s AS tenant_id, a.id AS account_id, st.serial, st.service, st.zones, st.digits,
               st.decimals, st.installed_on, st.verified_until, st.archived_on
        FROM staging st {_ACCOUNT_JOIN}""",
    target="meters_meter",
    key=("account_id", "serial"),
    values=("service", "zones", "digits", "decimals", "installed_on", "verified_until", "archived_on"),
)


def _reading_value(ctx, column, raw):
    # Digits are checked against the meter in SQL: keep the canonical text, and count.
    return _number(column, raw, decimals=4, negative=False)


READINGS = Kind(
    name="readings",
    columns=[
        _c("supplier", "text", required=True),
        _c("account_number", "text", required=True),
        _c("serial", "text", required=True),
        _c("zone", "integer", lambda ctx, col, raw: integer(col, raw, 1, 3), default=1),
        _c("value", "numeric", _reading_value, required=True),
        _c("taken_on", "date", lambda ctx, col, raw: ctx.date(col, raw, past=True), required=True),
        _c("source", "text", lambda ctx, col, raw: choice(col, raw, ("amr", "controller", "estimated", "portal")),
           default="amr"),
        _c("portal_reading_id", "bigint", lambda ctx, col, raw: integer(col, raw, 1, 2**62)),
        _c("status", "text", lambda ctx, col, raw: choice(col, raw, ("accepted", "rejected")), default=""),
        _c("status_reason", "text", _text(500), default=""),
    ],
    # Two kinds of rows share the file: billing's own readings (created or updated by
    # their key) and billing's verdict on a reading the portal exported (portal_reading_id:
    # updates that reading's status). `whole`/`fraction` count the value's digits.
    resolve_sql=f"""
        SELECT st.line,
               CASE WHEN st.reason IS NOT NULL THEN st.reason
                    WHEN st.portal_reading_id IS NULL AND st.status <> '' THEN 'status_without_id'
                    WHEN st.portal_reading_id IS NOT NULL AND st.status = '' THEN 'verdict_needs_status'
                    {_ACCOUNT_REASON}
                    WHEN m.id IS NULL THEN 'unknown_meter'
                    WHEN st.portal_reading_id IS NOT NULL AND pr.id IS NULL THEN 'unknown_portal_reading'
                    WHEN st.portal_reading_id IS NOT NULL AND pr.status = 'submitted' THEN 'not_exported'
                    WHEN st.zone > m.zones THEN 'zone'
                    WHEN st.whole > m.digits OR st.fraction > m.decimals THEN 'digits' END AS reason,
               st.reason_column,
               CASE WHEN st.reason IS NOT NULL THEN st.reason_value {_ACCOUNT_REASON_VALUE}
                    WHEN m.id IS NULL THEN st.supplier || ' ' || st.account_number || ' ' || st.serial
                    WHEN st.portal_reading_id IS NOT NULL THEN CAST(st.portal_reading_id AS text)
                    WHEN st.zone > m.zones THEN CAST(st.zone AS text)
                    ELSE CAST(st.value AS text) END AS reason_value,
               CASE WHEN st.reason IS NOT NULL THEN st.reason_detail
                    WHEN m.id IS NULL THEN ''
                    WHEN st.zone > m.zones THEN CAST(m.zones AS text)
                    ELSE CAST(m.digits AS text) || '+' || CAST(m.decimals AS text) END AS reason_detail,
               %(tenant)s AS tenant_id, m.id AS meter_id, st.zone, st.value, st.taken_on, st.source,
               CASE WHEN st.portal_reading_id IS NULL THEN '' ELSE st.status END AS status,
               CASE WHEN st.portal_reading_id IS NULL THEN '' ELSE st.status_reason END AS status_reason,
               st.portal_reading_id
        FROM staging st {_ACCOUNT_JOIN}
        LEFT JOIN meters_meter m ON m.account_id = a.id AND m.serial = st.serial
        LEFT JOIN meters_reading pr ON pr.id = st.portal_reading_id AND pr.tenant_id = %(tenant)s
             AND pr.meter_id = m.id AND pr.submitted_at IS NOT NULL""",
    target="meters_reading",
    key=("meter_id", "zone", "taken_on", "source"),
    values=("value",),
    key_condition="t.submitted_at IS NULL",
)


def _rebuild_invoices(cursor, tenant_id, dialect):
    """Invoices of the (account, period) pairs the file's good rows name: number, total to
    pay (the sum of closing balances) and due date, from all charges of that period."""
    cursor.execute("DROP TABLE IF EXISTS invoice_source")
    cursor.execute(
        """CREATE TEMP TABLE invoice_source AS
           SELECT ch.account_id, ch.period, MAX(ch.invoice_number) AS number,
                  SUM(ch.closing_balance) AS total, MAX(ch.due_on) AS due_on,
                  i.id AS invoice_id, i.number AS old_number, i.total AS old_total, i.due_on AS old_due_on
           FROM billing_charge ch
           JOIN (SELECT DISTINCT account_id, period FROM resolved WHERE reason IS NULL) touched
             ON touched.account_id = ch.account_id AND touched.period = ch.period
           LEFT JOIN billing_invoice i ON i.account_id = ch.account_id AND i.period = ch.period
           GROUP BY ch.account_id, ch.period, i.id, i.number, i.total, i.due_on"""
    )
    distinct = dialect.distinct
    cursor.execute(
        """INSERT INTO billing_invoice (tenant_id, account_id, period, number, total, due_on, receipt, receipt_source)
           SELECT %s, account_id, period, number, total, due_on, '', '' FROM invoice_source WHERE invoice_id IS NULL""",
        [tenant_id],
    )
    cursor.execute(
        f"""UPDATE billing_invoice SET number = src.number, total = src.total, due_on = src.due_on
            FROM invoice_source src
            WHERE billing_invoice.id = src.invoice_id
              AND (src.number {distinct} src.old_number OR src.total {distinct} src.old_total
                   OR src.due_on {distinct} src.old_due_on)"""
    )
    cursor.execute("DROP TABLE invoice_source")


_CHARGE_ACCOUNT = f"""
               CASE WHEN st.reason IS NOT NULL THEN st.reason {_ACCOUNT_REASON} END AS reason,
               st.reason_column,
               CASE WHEN st.reason IS NOT NULL THEN st.reason_value {_ACCOUNT_REASON_VALUE} END AS reason_value,
               st.reason_detail"""

CHARGES = Kind(
    name="charges",
    columns=[
        _c("supplier", "text", required=True),
        _c("account_number", "text", required=True),
        _c("period", "date", lambda ctx, col, raw: ctx.period(col, raw), required=True),
        _c("service", "text", lambda ctx, col, raw: choice(col, raw, SERVICES), required=True),
        _c("opening_balance", "numeric", lambda ctx, col, raw: money(col, raw), default="0"),
        _c("volume", "numeric", lambda ctx, col, raw: _number(col, raw, decimals=4)),
        _c("unit", "text", lambda ctx, col, raw: choice(col, raw, UNITS), default=""),
        _c("tariff", "numeric", lambda ctx, col, raw: _number(col, raw, decimals=4, whole=8, negative=False)),
        _c("charged", "numeric", lambda ctx, col, raw: money(col, raw), default="0"),
        _c("recalculated", "numeric", lambda ctx, col, raw: money(col, raw), default="0"),
        _c("recalculation_reason", "text", _text(500), default=""),
        _c("paid", "numeric", lambda ctx, col, raw: money(col, raw), default="0"),
        _c("closing_balance", "numeric", lambda ctx, col, raw: money(col, raw), required=True),
        _c("invoice_number", "text", _text(50), default=""),
        _c("due_on", "date", lambda ctx, col, raw: ctx.date(col, raw)),
    ],
    resolve_sql=f"""
        SELECT st.line, {_CHARGE_ACCOUNT},
               %(tenant)s AS tenant_id, a.id AS account_id, st.period, st.service, st.opening_balance, st.volume,
               st.unit, st.tariff, st.charged, st.recalculated, st.recalculation_reason, st.paid,
               st.closing_balance, st.invoice_number, st.due_on
        FROM staging st {_ACCOUNT_JOIN}""",
    target="billing_charge",
    key=("account_id", "period", "service"),
    values=("opening_balance", "volume", "unit", "tariff", "charged", "recalculated", "recalculation_reason",
            "paid", "closing_balance", "invoice_number", "due_on"),
    after_apply=_rebuild_invoices,
)

PAYMENTS = Kind(
    name="payments",
    columns=[
        _c("supplier", "text", required=True),
        _c("account_number", "text", required=True),
        _c("paid_at", "timestamptz", lambda ctx, col, raw: ctx.time(col, raw), required=True),
        _c("amount", "numeric", lambda ctx, col, raw: money(col, raw), required=True),
        _c("channel", "text", _text(100), default=""),
        _c("external_id", "text", _text(100), default=""),
    ],
    resolve_sql=f"""
        SELECT st.line, {_CHARGE_ACCOUNT},
               %(tenant)s AS tenant_id, a.id AS account_id, st.paid_at, st.amount, st.channel, st.external_id
        FROM staging st {_ACCOUNT_JOIN}""",
    target="billing_billingpayment",
    key=("account_id", "paid_at", "external_id"),
    values=("amount", "channel"),
)

KIND_SPECS = {kind.name: kind for kind in (COUNTERPARTIES, CONTRACTS, ACCOUNTS, METERS, READINGS, CHARGES, PAYMENTS)}
assert tuple(KIND_SPECS) == KINDS


def kind_of(path):
    """The kind of a file from its name: `accounts.csv`, `accounts_2026-05.csv`, `Charges-1.CSV`."""
    stem = Path(path).name.lower()
    if stem.startswith(EXPORT_FILE_PREFIXES):
        raise FileRefused("this is an export file of the portal, not a file to import")
    for kind in KINDS:
        if re.match(rf"{kind}(?![a-z0-9])", stem) and stem.endswith(".csv"):
            return kind
    raise FileRefused(f"the name does not say what it holds: it should start with one of {', '.join(KINDS)} "
                      "and end with .csv")


# --- Reports -----------------------------------------------------------------------------


@dataclass
class Rejected:
    line: int
    code: str
    column: str = ""
    value: str = ""
    detail: str = ""

    def reason(self, language="en"):
        return reason_text(self.code, column=self.column, value=self.value, detail=self.detail, language=language)


@dataclass
class FileReport:
    file: str
    kind: str = ""
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected_count: int = 0
    problem: str = ""
    warnings: list = field(default_factory=list)
    columns: set = field(default_factory=set)  # the file's header
    # Rejected rows spill to a temporary file: a file of a million bad rows must not fill memory.
    rejected_spool: object = None

    def add_rejected(self, rejected):
        if self.rejected_spool is None:
            self.rejected_spool = tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="")
        csv.writer(self.rejected_spool).writerow(
            [rejected.line, rejected.code, rejected.column, rejected.value, rejected.detail]
        )
        self.rejected_count += 1

    def rejected(self):
        if self.rejected_spool is None:
            return
        self.rejected_spool.seek(0)
        for line, code, column, value, detail in csv.reader(self.rejected_spool):
            yield Rejected(int(line), code, column, value, detail)

    def close(self):
        if self.rejected_spool is not None:
            self.rejected_spool.close()
            self.rejected_spool = None


@dataclass
class ImportReport:
    files: list = field(default_factory=list)
    written: bool = False

    def close(self):
        for report in self.files:
            report.close()


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
    """Yield the staging tuple of every data row (line, values…, reason fields), checking the
    header first. Good rows have reason None."""
    encoding = encoding or detect_encoding(binary)
    try:
        stream = io.TextIOWrapper(binary, encoding=encoding, newline="")
        reader = csv.reader(stream, delimiter=";")
        header = next(reader, None)
    except (UnicodeDecodeError, LookupError) as error:
        raise FileRefused(f"cannot be read as {encoding}: {error}") from None
    if not header:
        raise FileRefused("the file is empty: no header row")
    names = [name.strip().lower().lstrip("\ufeff") for name in header]
    columns = kind.columns
    known_names = {column.name for column in columns}
    twice = sorted({name for name in names if name in known_names and names.count(name) > 1})
    if twice:  # which of the two is meant? Taking the first silently would import a guess
        raise FileRefused(f"column named twice: {', '.join(twice)}")
    missing = [column.name for column in columns if column.required and column.name not in names]
    if missing:
        raise FileRefused(f"required column missing: {', '.join(missing)}")
    known = {column.name for column in columns}
    report.warnings.extend(f"unknown column «{name}» ignored" for name in names if name and name not in known)
    report.columns = set(names)
    positions = [names.index(column.name) if column.name in names else None for column in columns]
    width = len(names)
    reading_value = kind is READINGS
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
            if reading_value:
                values.extend(_digit_counts(values[4]))
            if kind is ACCOUNTS and values[6]:
                values[6] = pins.pin_hash(context.tenant_id, values[0], values[1], values[6])
            if error is None:
                yield (line, *values, None, None, None, None)
            else:
                yield (line, *values, error.code, error.column, str(error.value)[:200], str(error.detail))
    except UnicodeDecodeError as error:
        raise FileRefused(f"cannot be read as {encoding}: {error}") from None
    except csv.Error as error:
        raise FileRefused(f"line {reader.line_num}: {error}") from None


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


def _digit_counts(value):
    if value is None:
        return (0, 0)
    integer, _, fraction = value.lstrip("-").partition(".")
    return (len(integer.lstrip("0")), len(fraction.rstrip("0")))


# --- Staging, resolving, applying ------------------------------------------------------


@dataclass
class Dialect:
    postgres: bool

    @property
    def distinct(self):
        return "IS DISTINCT FROM" if self.postgres else "IS NOT"

    def sql_type(self, name):
        if self.postgres:
            return name
        return {"numeric": "decimal", "timestamptz": "datetime", "bigint": "integer"}.get(name, name)


def _staging_columns(kind):
    columns = [("line", "integer")] + [(column.name, column.sql_type) for column in kind.columns]
    if kind is READINGS:
        columns += [("whole", "integer"), ("fraction", "integer")]
    return columns + [("reason", "text"), ("reason_column", "text"), ("reason_value", "text"), ("reason_detail", "text")]


def _stage(cursor, kind, rows, dialect):
    columns = _staging_columns(kind)
    cursor.execute("DROP TABLE IF EXISTS staging")
    cursor.execute("CREATE TEMP TABLE staging ({})".format(
        ", ".join(f"{name} {dialect.sql_type(sql_type)}" for name, sql_type in columns)))
    names = ", ".join(name for name, _ in columns)
    if dialect.postgres:
        with cursor.cursor.copy(f"COPY staging ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute("ANALYZE staging")
        return
    placeholders = ", ".join(["%s"] * len(columns))
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= STAGING_BATCH:
            cursor.executemany(f"INSERT INTO staging ({names}) VALUES ({placeholders})", batch)
            batch.clear()
    if batch:
        cursor.executemany(f"INSERT INTO staging ({names}) VALUES ({placeholders})", batch)


def _resolve(cursor, kind, values, tenant_id, dialect):
    """The `resolved` table: every staged row with its final reason (None: good) and, for
    good rows, `target_id` (the existing row of its key) and `action` (c, u or n; an update
    only when one of ``values`` differs)."""
    key_partition = ", ".join(f"r.{name}" for name in kind.key)
    join_key = " AND ".join(f"t.{name} = r.{name}" for name in kind.key)
    if kind.key_condition:
        join_key += f" AND {kind.key_condition}"
    changed = " OR ".join(f"r.{name} {dialect.distinct} t.{name}" for name in values) or "FALSE"
    verdict = kind is READINGS
    target_join = f"LEFT JOIN {kind.target} t ON r.final_reason IS NULL AND {join_key}"
    action = f"CASE WHEN t.id IS NULL THEN 'c' WHEN {changed} THEN 'u' ELSE 'n' END"
    target_id = "t.id"
    if verdict:
        # A verdict row's target is the portal reading itself (`v`). Two joins, not one on a
        # CASE: a CASE condition cannot be hashed, and the join became a nested loop over
        # every reading (13 s for 24,000 rows imported again).
        target_join = (f"LEFT JOIN {kind.target} t ON r.final_reason IS NULL AND r.portal_reading_id IS NULL "
                       f"AND {join_key} "
                       f"LEFT JOIN {kind.target} v ON r.final_reason IS NULL AND v.id = r.portal_reading_id")
        target_id = "COALESCE(t.id, v.id)"
        action = (f"CASE WHEN r.portal_reading_id IS NOT NULL THEN "
                  f"(CASE WHEN r.status {dialect.distinct} v.status OR r.status_reason {dialect.distinct} v.status_reason "
                  f"THEN 'v' ELSE 'n' END) "
                  f"WHEN t.id IS NULL THEN 'c' WHEN {changed} THEN 'u' ELSE 'n' END")
        # A verdict's key is the portal reading alone: two verdicts on one reading that
        # differ in the day were both applied, PostgreSQL keeping either.
        key_partition = "COALESCE(r.portal_reading_id, 0), " + ", ".join(
            f"CASE WHEN r.portal_reading_id IS NULL THEN r.{name} END" for name in kind.key)
    cursor.execute("DROP TABLE IF EXISTS resolved")
    cursor.execute(
        f"""CREATE TEMP TABLE resolved AS
            SELECT r.*, r.final_reason AS reason_code, {target_id} AS target_id,
                   CASE WHEN r.final_reason IS NULL THEN {action} END AS action
            FROM (
                SELECT x.*,
                       CASE WHEN x.reason IS NULL AND x.last_line <> x.line THEN 'superseded' ELSE x.reason END
                           AS final_reason
                FROM (
                    -- The last line of a key wins even when it is rejected: an earlier line
                    -- is what billing has already replaced. (A key not resolved is NULL and
                    -- groups only with other rejected rows.)
                    SELECT q.*, MAX(q.line) OVER (PARTITION BY {key_partition.replace('r.', 'q.')}) AS last_line
                    FROM ({kind.resolve_sql}) q
                ) x
            ) r
            {target_join}""",
        {"tenant": tenant_id},
    )
    if dialect.postgres:
        cursor.execute("ANALYZE resolved")


def _apply(cursor, kind, values, dialect):
    """Insert the new rows and update ``values`` of the changed ones; the figures by action."""
    cursor.execute("SELECT action, COUNT(*) FROM resolved WHERE reason_code IS NULL GROUP BY action")
    counts = dict(cursor.fetchall())
    # dict.fromkeys: a key may already hold tenant_id (counterparties), named once here.
    columns = tuple(dict.fromkeys(("tenant_id", *kind.key, *kind.values)))
    extra = ()
    if kind is READINGS:
        extra = ("status", "status_reason")
    insert_columns = ", ".join(columns + extra)
    if counts.get("c"):
        cursor.execute(
            f"INSERT INTO {kind.target} ({insert_columns}) "
            f"SELECT {insert_columns} FROM resolved WHERE reason_code IS NULL AND action = 'c'"
        )
    if counts.get("u"):
        assignments = ", ".join(f"{name} = r.{name}" for name in values)
        cursor.execute(
            f"UPDATE {kind.target} SET {assignments} FROM resolved r "
            f"WHERE r.reason_code IS NULL AND r.action = 'u' AND {kind.target}.id = r.target_id"
        )
    if counts.get("v"):
        cursor.execute(
            f"UPDATE {kind.target} SET status = r.status, status_reason = r.status_reason FROM resolved r "
            f"WHERE r.reason_code IS NULL AND r.action = 'v' AND {kind.target}.id = r.target_id"
        )
    return counts


def _collect_rejected(kind, report, dialect):
    """Stream the rejected rows of `resolved` into the report (a server-side cursor on
    PostgreSQL, so a file of bad rows is never all in memory)."""
    query = ("SELECT line, reason_code, COALESCE(reason_column, ''), COALESCE(reason_value, ''), "
             "CASE WHEN reason_code = 'superseded' THEN CAST(last_line AS text) ELSE COALESCE(reason_detail, '') END "
             "FROM resolved WHERE reason_code IS NOT NULL ORDER BY line")
    raw = connection.connection
    cursor = raw.cursor(name="rejected_rows") if dialect.postgres else raw.cursor()
    try:
        cursor.execute(query)
        while rows := cursor.fetchmany(5000):
            for line, code, column, value, detail in rows:
                report.add_rejected(Rejected(line, code, column, value, detail))
    finally:
        cursor.close()


# --- Running ---------------------------------------------------------------------------


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


def apply_order(name):
    """Sort key: by kind in dependency order, then by name; unknown kinds last."""
    try:
        return (KINDS.index(kind_of(name)), name)
    except FileRefused:
        return (len(KINDS), name)


@dataclass
class Source:
    """A file to import: its name and how to open it (a path, or an upload in storage)."""

    name: str
    open: object  # () -> binary file object


def sources_from_paths(paths):
    return [Source(path.name, lambda path=path: open(path, "rb")) for path in expand_paths(paths)]


def import_files(tenant, sources, *, dry_run=False, encoding=None, progress=None):
    """Import ``sources`` (already in the order to apply) into ``tenant``: one transaction
    per file. ``progress(binary, size, name)`` may wrap each file for a progress bar."""
    report = ImportReport()
    dialect = Dialect(postgres=connection.vendor == "postgresql")
    now = timezone.now()
    today = timezone.localdate(now)
    context = Context(tenant_id=tenant.pk, today=today, now=now, this_month=today.replace(day=1),
                      postgres=dialect.postgres)
    # A dry run applies every file as a real run would, each seeing the ones before it (a
    # meter names an account of accounts.csv), inside one transaction rolled back at the end.
    written_kinds = set()
    with transaction.atomic() if dry_run else contextlib.nullcontext():
        for source in sources:
            file_report = FileReport(file=source.name)
            report.files.append(file_report)
            try:
                file_report.kind = kind_of(source.name)
                with source.open() as binary:
                    # Detected before the progress bar wraps the file: the bar counts one pass.
                    file_encoding = encoding or detect_encoding(binary)
                    with (progress or _no_progress)(binary, source.name) as wrapped:
                        kind = KIND_SPECS[file_report.kind]
                        if _import_one(tenant, kind, wrapped, file_report, context, dialect,
                                       dry_run=dry_run, encoding=file_encoding):
                            report.written = True
                            written_kinds.add(file_report.kind)
                            _refresh_statistics(kind, file_report, dialect)
            except FileRefused as problem:
                file_report.problem = str(problem)
            except OSError as error:
                file_report.problem = f"cannot be opened: {error.strerror or error}"
        if dry_run:
            transaction.set_rollback(True)
    if written_kinds:
        # Each file has committed (or the caller's transaction will): listeners run after that.
        transaction.on_commit(lambda: billing_data_changed.send(sender=import_files, tenant=tenant, kinds=written_kinds))
    return report


# After a large load the planner must know the table grew: with stale statistics it took a
# tenant of 2.4 million charges for 1,700 rows, and every page query read the whole tenant's
# index (bench/pages.py: 30-45 ms a query, 2 ms after ANALYZE). Autovacuum would catch up
# eventually, and may be off; a second or so per million rows is cheap beside the import.
ANALYZE_AFTER_ROWS = 10_000
ANALYZED_WITH = {"charges": ("billing_invoice",)}


def _refresh_statistics(kind, report, dialect):
    if not dialect.postgres or report.created + report.updated < ANALYZE_AFTER_ROWS:
        return
    with connection.cursor() as cursor:
        for table in (kind.target, *ANALYZED_WITH.get(kind.name, ())):
            cursor.execute(f"ANALYZE {table}")


def _import_one(tenant, kind, binary, report, context, dialect, *, dry_run, encoding):
    """One file in one transaction; True when it wrote anything (and was not a dry run)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            if dialect.postgres:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [IMPORT_LOCK, tenant.pk])
                # The resolve query sorts a file's rows (hundreds of MB for a million): in
                # memory, not on disk; and JIT compiling costs more than it saves here.
                cursor.execute("SET LOCAL work_mem = '256MB'")
                cursor.execute("SET LOCAL jit = off")
            _stage(cursor, kind, read_rows(binary, kind, report, context, encoding), dialect)
            values = kind.values_given(report.columns)
            _resolve(cursor, kind, values, tenant.pk, dialect)
            counts = _apply(cursor, kind, values, dialect)
            if kind.after_apply and (counts.get("c") or counts.get("u")):
                kind.after_apply(cursor, tenant.pk, dialect)
            _collect_rejected(kind, report, dialect)
            cursor.execute("DROP TABLE resolved")
            cursor.execute("DROP TABLE staging")
        report.created = counts.get("c", 0)
        report.updated = counts.get("u", 0) + counts.get("v", 0)
        report.unchanged = counts.get("n", 0)
        # A dry run's outer transaction (import_files) rolls everything back.
        return bool(report.created or report.updated) and not dry_run


IMPORT_LOCK = 0x62696C6C  # "bill": the first key of the advisory lock, the tenant the second


def print_report(report, write, *, language="en"):
    """The report as text, through ``write`` (a line at a time)."""
    for file_report in report.files:
        title = f"{file_report.file} ({file_report.kind or 'unknown kind'})"
        if file_report.problem:
            write(f"{title}: REFUSED — {file_report.problem}")
            continue
        write(f"{title}: read {file_report.read}, created {file_report.created}, updated {file_report.updated}, "
              f"unchanged {file_report.unchanged}, rejected {file_report.rejected_count}")
        for warning in file_report.warnings:
            write(f"  warning: {warning}")
        for number, rejected in enumerate(file_report.rejected()):
            if number == REJECTED_SHOWN:
                write(f"  … and {file_report.rejected_count - REJECTED_SHOWN} more rejected lines")
                break
            write(f"  line {rejected.line}: {rejected.reason(language)}")
    write("Written." if report.written else "Nothing was written.")


def write_report_json(report, stream):
    """The report as JSON, written piece by piece (rejected lines are streamed)."""
    import json

    stream.write('{"files": [')
    for index, file_report in enumerate(report.files):
        if index:
            stream.write(", ")
        head = {
            "file": file_report.file, "kind": file_report.kind, "read": file_report.read,
            "created": file_report.created, "updated": file_report.updated, "unchanged": file_report.unchanged,
        }
        if file_report.problem:
            head["refused"] = file_report.problem
        if file_report.warnings:
            head["warnings"] = file_report.warnings
        stream.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "rejected": [')
        for number, rejected in enumerate(file_report.rejected()):
            if number:
                stream.write(", ")
            stream.write(json.dumps({"line": rejected.line, "reason": rejected.reason()}, ensure_ascii=False))
        stream.write("]}")
    stream.write(f'], "written": {"true" if report.written else "false"}}}\n')


def _no_progress(binary, name):
    return contextlib.nullcontext(binary)


def terminal_progress(stream=sys.stderr):
    """A progress bar per file (tqdm, over the bytes read) when ``stream`` is a terminal."""
    if not stream.isatty():
        return None
    from tqdm import tqdm

    @contextlib.contextmanager
    def wrap(binary, name):
        size = binary.seek(0, io.SEEK_END)
        binary.seek(0)
        with tqdm(total=size, unit="B", unit_scale=True, desc=name, file=stream, leave=False) as bar:
            yield io.BufferedReader(_CountingReader(binary, bar.update))

    return wrap


class _CountingReader(io.RawIOBase):
    """A binary file that reports how many bytes were read (tqdm's wrapattr counts read()
    only, and TextIOWrapper reads through read1)."""

    def __init__(self, binary, counted):
        self._binary, self._counted = binary, counted

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self._binary.read(len(buffer))
        buffer[: len(data)] = data
        self._counted(len(data))
        return len(data)
