"""The files billing sends for billing's own tables (shared/EXCHANGE.md): counterparties,
contracts, accounts, charges (which rebuild their invoices) and payments. The engine that
imports them is portal.exchange; meters declares meters.csv and readings.csv in
meters/exchange.py, building on the account joins below."""

from portal.exchange import values
from portal.exchange.kinds import Column, Kind

from . import pins
from .exports import export_file_stem
from .models import Account, ExportRun, Service

REASONS = {
    "unknown_supplier": ("unknown supplier «{value}»", "неизвестный поставщик «{value}»"),
    "unknown_counterparty": ("no counterparty with INN {value} (counterparties.csv comes first)",
                             "нет контрагента с ИНН {value} (сначала counterparties.csv)"),
    "unknown_account": ("unknown account {value}", "неизвестный лицевой счёт {value}"),
}
# The exports' files (billing.exports names them after ExportRun's kinds): ours, not billing's.
PORTAL_FILES = tuple(export_file_stem(kind) for kind in ExportRun.Kind.values)

SERVICES = values.one_of(*Service.values)
UNITS = values.one_of("kWh", "m3", "Gcal")

# Joins from a row's supplier code and account number to the account, and the reasons when
# they name none: for the kinds of rows of an account (here and in meters/exchange.py).
ACCOUNT_JOIN = """
        LEFT JOIN billing_supplier s ON s.tenant_id = %(tenant)s AND s.code = st.supplier
        LEFT JOIN billing_account a ON a.supplier_id = s.id AND a.number = st.account_number"""
ACCOUNT_REASON = """WHEN s.id IS NULL THEN 'unknown_supplier'
                    WHEN a.id IS NULL THEN 'unknown_account'"""
ACCOUNT_REASON_VALUE = """WHEN s.id IS NULL THEN st.supplier
                    WHEN a.id IS NULL THEN st.supplier || ' ' || st.account_number"""
ACCOUNT_ROW_REASON = f"""
               CASE WHEN st.reason IS NOT NULL THEN st.reason {ACCOUNT_REASON} END AS reason,
               st.reason_column,
               CASE WHEN st.reason IS NOT NULL THEN st.reason_value {ACCOUNT_REASON_VALUE} END AS reason_value,
               st.reason_detail"""

COUNTERPARTIES = Kind(
    name="counterparties",
    columns=[
        Column("inn", "text", values.inn, required=True),
        Column("kpp", "text", values.kpp, default=""),
        Column("name", "text", values.text(500), required=True),
        Column("short_name", "text", values.text(255), default=""),
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
        Column("supplier", "text", required=True),
        Column("contract_number", "text", values.text(50), required=True),
        Column("inn", "text", values.inn, required=True),
        Column("phones", "text", values.phones, default=""),
        Column("emails", "text", values.emails, default=""),
        Column("status", "text", values.one_of("active", "terminated"), default="active"),
        Column("signed_on", "date", values.day()),
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

_ACCOUNT_COLUMNS = [
    Column("supplier", "text", required=True),
    Column("account_number", "text", values.text(50), required=True),
    Column("subscriber_type", "text", values.one_of(*Account.SubscriberType.values), required=True),
    Column("holder_name", "text", values.text(500), default=""),
    Column("address", "text", values.text(500), default=""),
    Column("contract_number", "text", values.text(50), default=""),
    Column("pin", "text", values.text(20), default=""),
    Column("phones", "text", values.phones, default=""),
    Column("emails", "text", values.emails, default=""),
    Column("closed_on", "date", values.day()),
]
_SUPPLIER, _NUMBER, _PIN = ([column.name for column in _ACCOUNT_COLUMNS].index(name)
                            for name in ("supplier", "account_number", "pin"))


def _hash_pin(context, row):
    """The PIN is staged, and stored, as its keyed hash only (billing/pins.py)."""
    if row[_PIN]:
        row[_PIN] = pins.pin_hash(context.tenant_id, row[_SUPPLIER], row[_NUMBER], row[_PIN])


ACCOUNTS = Kind(
    name="accounts",
    columns=_ACCOUNT_COLUMNS,
    complete_row=_hash_pin,
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


CHARGES = Kind(
    name="charges",
    columns=[
        Column("supplier", "text", required=True),
        Column("account_number", "text", required=True),
        Column("period", "date", values.period, required=True),
        Column("service", "text", SERVICES, required=True),
        Column("opening_balance", "numeric", values.money, default="0"),
        Column("volume", "numeric", values.number(4)),
        Column("unit", "text", UNITS, default=""),
        Column("tariff", "numeric", values.number(4, whole=8, negative=False)),
        Column("charged", "numeric", values.money, default="0"),
        Column("recalculated", "numeric", values.money, default="0"),
        Column("recalculation_reason", "text", values.text(500), default=""),
        Column("paid", "numeric", values.money, default="0"),
        Column("closing_balance", "numeric", values.money, required=True),
        Column("invoice_number", "text", values.text(50), default=""),
        Column("due_on", "date", values.day()),
    ],
    resolve_sql=f"""
        SELECT st.line, {ACCOUNT_ROW_REASON},
               %(tenant)s AS tenant_id, a.id AS account_id, st.period, st.service, st.opening_balance, st.volume,
               st.unit, st.tariff, st.charged, st.recalculated, st.recalculation_reason, st.paid,
               st.closing_balance, st.invoice_number, st.due_on
        FROM staging st {ACCOUNT_JOIN}""",
    target="billing_charge",
    key=("account_id", "period", "service"),
    values=("opening_balance", "volume", "unit", "tariff", "charged", "recalculated", "recalculation_reason",
            "paid", "closing_balance", "invoice_number", "due_on"),
    after_apply=_rebuild_invoices,
    analyze_also=("billing_invoice",),
)

PAYMENTS = Kind(
    name="payments",
    columns=[
        Column("supplier", "text", required=True),
        Column("account_number", "text", required=True),
        Column("paid_at", "timestamptz", values.moment, required=True),
        Column("amount", "numeric", values.money, required=True),
        Column("channel", "text", values.text(100), default=""),
        Column("external_id", "text", values.text(100), default=""),
    ],
    resolve_sql=f"""
        SELECT st.line, {ACCOUNT_ROW_REASON},
               %(tenant)s AS tenant_id, a.id AS account_id, st.paid_at, st.amount, st.channel, st.external_id
        FROM staging st {ACCOUNT_JOIN}""",
    target="billing_billingpayment",
    key=("account_id", "paid_at", "external_id"),
    values=("amount", "channel"),
)

# meters/exchange.py puts meters.csv and readings.csv right after accounts.
IMPORTS = [COUNTERPARTIES, CONTRACTS, ACCOUNTS, CHARGES, PAYMENTS]
