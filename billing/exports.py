"""Exports to billing (shared/EXCHANGE.md, "Out of the portal").

"Since the last export" sends the readings submitted in the portal (or the portal's
succeeded payments) that no export has sent and marks them, in one transaction with one
UPDATE: a row committed while the export runs is not in that UPDATE's snapshot, so it stays
unmarked and goes into the next export; nothing is sent twice, nothing is missed. The file
is written beside its final name and renamed into place before the transaction commits: a
crash before the rename leaves no file and nothing marked; a crash between the rename and
the commit leaves a file whose rows go again next time (billing recognises them by
reading_id or provider_payment_id), never rows marked but not sent.

"A period" re-exports for checking and marks nothing. Payments define their ExportKind in
payments/exports.py and run through the same ``run_export``.
"""

import csv
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from meters.models import Reading
from portal.months import add_months

from . import fragments
from .models import ExportRun

READINGS_COLUMNS = ["supplier", "account_number", "serial", "zone", "value", "taken_on", "source", "submitted_at",
                    "reading_id"]


@dataclass
class ExportResult:
    path: Path
    rows: int
    run: ExportRun


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


def _write_atomically(path, rows, columns):
    """Write rows to ``path`` through a temporary file in the same directory; the count."""
    temporary = path.with_name(f".{path.name}.part")
    count = 0
    try:
        with open(temporary, "w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream, delimiter=";")
            writer.writerow(columns)
            for row in rows:
                writer.writerow(row)
                count += 1
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return count


@dataclass(frozen=True)
class ExportKind:
    kind: str  # ExportRun.Kind
    columns: list
    row: object  # (obj) -> list
    related: tuple  # select_related
    unsent: object  # (tenant) -> QuerySet of what no export has sent
    mark: dict  # the fields "since the last export" sets besides `export`
    in_period: object  # (tenant, first, next_first) -> QuerySet for a re-export


def run_export(spec, tenant, out_dir, *, period, now):
    now = now or timezone.now()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime(now).strftime("%Y%m%dT%H%M%S")
    path = None
    try:
        with transaction.atomic():
            run = ExportRun.objects.create(tenant=tenant, kind=spec.kind, period=period)
            # The run's id makes the name unique: two exports in one second (cron and an
            # operator, a retry) had one name, and the second replaced the first's file,
            # whose rows were marked as sent and never reached billing.
            name = (f"{spec.kind}_export_{tenant.slug}_{period:%Y-%m}_{stamp}_{run.pk}.csv" if period
                    else f"{spec.kind}_export_{tenant.slug}_{stamp}_{run.pk}.csv")
            path = out_dir / name
            run.file_name = name
            if period is None:
                unsent = spec.unsent(tenant)
                unsent.update(export=run, **spec.mark)
                fragments.forget_tenant(tenant.pk)  # a reading's status shows on its meter's page
                selected = unsent.model.objects.filter(export=run)
            else:
                selected = spec.in_period(tenant, period, add_months(period, 1))
            selected = selected.select_related(*spec.related).order_by("pk")
            run.rows = _write_atomically(path, (spec.row(obj) for obj in selected.iterator(chunk_size=2000)),
                                         spec.columns)
            run.save(update_fields=["file_name", "rows"])
    except BaseException:
        # Not committed: the marks are rolled back, so the file must not stay either.
        if path is not None:
            path.unlink(missing_ok=True)
        raise
    return ExportResult(path=path, rows=run.rows, run=run)


READINGS = ExportKind(
    kind=ExportRun.Kind.READINGS,
    columns=READINGS_COLUMNS,
    row=lambda reading: _reading_row(reading),
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
    return run_export(READINGS, tenant, out_dir, period=period, now=now)
