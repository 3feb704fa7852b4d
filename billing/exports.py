"""Exports to billing (shared/EXCHANGE.md, "Out of the portal").

"Since the last export" sends the readings submitted in the portal (or the portal's
succeeded payments) that no export has sent and marks them, in one transaction with one
UPDATE: a row committed while the export runs is not in that UPDATE's snapshot, so it stays
unmarked and goes into the next export; nothing is sent twice, nothing is missed. The file
is written beside its final name and renamed into place before the transaction commits: a
crash before the rename leaves no file and nothing marked; a crash between the rename and
the commit leaves a file whose rows go again next time (billing recognises them by
reading_id or provider_payment_id), never rows marked but not sent.

"A period" re-exports for checking and marks nothing. Each app declares its export as an
ExportKind beside its own tables (meters/exchange.py: readings; payments/exports.py:
payments), and all run through the same ``run_export``.
"""

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from portal.months import add_months

from .models import ExportRun


@dataclass
class ExportResult:
    path: Path
    rows: int
    run: ExportRun


def export_file_stem(kind):
    """How the files of an export of ``kind`` (ExportRun.Kind) are named: readings_export_…"""
    return f"{kind}_export"


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
            stem = export_file_stem(spec.kind)
            name = (f"{stem}_{tenant.slug}_{period:%Y-%m}_{stamp}_{run.pk}.csv" if period
                    else f"{stem}_{tenant.slug}_{stamp}_{run.pk}.csv")
            path = out_dir / name
            run.file_name = name
            if period is None:
                unsent = spec.unsent(tenant)
                unsent.update(export=run, **spec.mark)
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
