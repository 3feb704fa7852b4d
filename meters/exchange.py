"""The files billing sends for meters' tables (shared/EXCHANGE.md): meters.csv and
readings.csv, applied right after accounts.csv (their rows name accounts); and the export of
the readings submitted in the portal, readings_export.csv, through billing.exports."""

from decimal import Decimal

from django.utils import timezone

from billing.exchange import ACCOUNT_JOIN, ACCOUNT_REASON, ACCOUNT_REASON_VALUE, ACCOUNT_ROW_REASON, SERVICES
from billing.exports import ExportKind, run_export
from billing.models import ExportRun
from portal.exchange import values
from portal.exchange.kinds import Column, Kind, Verdict

from .models import Reading

REASONS = {
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
}

METERS = Kind(
    name="meters",
    after="accounts",
    columns=[
        Column("supplier", "text", required=True),
        Column("account_number", "text", required=True),
        Column("serial", "text", values.text(50), required=True),
        Column("service", "text", SERVICES, required=True),
        Column("zones", "integer", values.whole_number(1, 3), default=1),
        Column("digits", "integer", values.whole_number(1, 12), default=8),
        Column("decimals", "integer", values.whole_number(0, 4), default=0),
        Column("installed_on", "date", values.day()),
        Column("verified_until", "date", values.day()),
        Column("archived_on", "date", values.day()),
    ],
    resolve_sql=f"""
        SELECT st.line, {ACCOUNT_ROW_REASON},
               %(tenant)s AS tenant_id, a.id AS account_id, st.serial, st.service, st.zones, st.digits,
               st.decimals, st.installed_on, st.verified_until, st.archived_on
        FROM staging st {ACCOUNT_JOIN}""",
    target="meters_meter",
    key=("account_id", "serial"),
    values=("service", "zones", "digits", "decimals", "installed_on", "verified_until", "archived_on"),
)

_READING_COLUMNS = [
    Column("supplier", "text", required=True),
    Column("account_number", "text", required=True),
    Column("serial", "text", required=True),
    Column("zone", "integer", values.whole_number(1, 3), default=1),
    # Digits are checked against the meter in SQL: keep the canonical text, and count them.
    Column("value", "numeric", values.number(4, negative=False), required=True),
    Column("taken_on", "date", values.day(past=True), required=True),
    Column("source", "text", values.one_of("amr", "controller", "estimated", "portal"), default="amr"),
    Column("portal_reading_id", "bigint", values.whole_number(1, 2**62)),
    Column("status", "text", values.one_of("accepted", "rejected"), default=""),
    Column("status_reason", "text", values.text(500), default=""),
]
_VALUE = [column.name for column in _READING_COLUMNS].index("value")


def _count_digits(context, row):
    """`whole` and `fraction`: the value's significant digits before and after the point."""
    value = row[_VALUE]
    if value is None:
        row.extend((0, 0))
        return
    integer, _, fraction = value.lstrip("-").partition(".")
    row.extend((len(integer.lstrip("0")), len(fraction.rstrip("0"))))


READINGS = Kind(
    name="readings",
    columns=_READING_COLUMNS,
    derived=(("whole", "integer"), ("fraction", "integer")),
    complete_row=_count_digits,
    # Two kinds of rows share the file: billing's own readings (created or updated by
    # their key) and billing's verdict on a reading the portal exported (portal_reading_id:
    # updates that reading's status).
    verdict=Verdict(id_column="portal_reading_id", values=("status", "status_reason")),
    resolve_sql=f"""
        SELECT st.line,
               CASE WHEN st.reason IS NOT NULL THEN st.reason
                    WHEN st.portal_reading_id IS NULL AND st.status <> '' THEN 'status_without_id'
                    WHEN st.portal_reading_id IS NOT NULL AND st.status = '' THEN 'verdict_needs_status'
                    {ACCOUNT_REASON}
                    WHEN m.id IS NULL THEN 'unknown_meter'
                    WHEN st.portal_reading_id IS NOT NULL AND pr.id IS NULL THEN 'unknown_portal_reading'
                    WHEN st.portal_reading_id IS NOT NULL AND pr.status = 'submitted' THEN 'not_exported'
                    WHEN st.zone > m.zones THEN 'zone'
                    WHEN st.whole > m.digits OR st.fraction > m.decimals THEN 'digits' END AS reason,
               st.reason_column,
               CASE WHEN st.reason IS NOT NULL THEN st.reason_value {ACCOUNT_REASON_VALUE}
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
        FROM staging st {ACCOUNT_JOIN}
        LEFT JOIN meters_meter m ON m.account_id = a.id AND m.serial = st.serial
        LEFT JOIN meters_reading pr ON pr.id = st.portal_reading_id AND pr.tenant_id = %(tenant)s
             AND pr.meter_id = m.id AND pr.submitted_at IS NOT NULL""",
    target="meters_reading",
    key=("meter_id", "zone", "taken_on", "source"),
    values=("value",),
    key_condition="t.submitted_at IS NULL",
)

IMPORTS = [METERS, READINGS]


# --- Out of the portal: readings_export.csv -------------------------------------------------

READINGS_EXPORT_COLUMNS = ["supplier", "account_number", "serial", "zone", "value", "taken_on", "source",
                           "submitted_at", "reading_id"]


def _reading_row(reading):
    meter = reading.meter
    # The meter's decimals, or more where the reading has more (the meter's were lowered by
    # a later meters.csv): rounding would send billing a value nobody submitted.
    places = max(meter.decimals, -min(0, reading.value.normalize().as_tuple().exponent))
    value = reading.value.quantize(Decimal(1).scaleb(-places))
    return [
        meter.account.supplier.code, meter.account.number, meter.serial, reading.zone, f"{value:f}",
        reading.taken_on.isoformat(), reading.source,
        timezone.localtime(reading.submitted_at).isoformat(timespec="seconds"), reading.pk,
    ]


READINGS_EXPORT = ExportKind(
    kind=ExportRun.Kind.READINGS,
    columns=READINGS_EXPORT_COLUMNS,
    row=lambda reading: _reading_row(reading),  # looked up when called: a test breaks it
    related=("meter__account__supplier",),
    unsent=lambda tenant: Reading.objects.filter(
        tenant=tenant, submitted_at__isnull=False, status=Reading.Status.SUBMITTED, export__isnull=True
    ),
    mark={"status": Reading.Status.EXPORTED},
    # A re-export sends what went to billing: never a reading held for another person's.
    in_period=lambda tenant, first, after: Reading.objects.filter(
        tenant=tenant, submitted_at__isnull=False, taken_on__gte=first, taken_on__lt=after
    ).exclude(status=Reading.Status.HELD),
)


def export_readings(tenant, out_dir, *, period=None, now=None):
    """Export portal readings of ``tenant`` into ``out_dir``: those not yet exported (and mark
    them), or with ``period`` (a date, the first of a month) those taken in that month."""
    return run_export(READINGS_EXPORT, tenant, out_dir, period=period, now=now)
