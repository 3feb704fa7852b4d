"""Billing's import runs kept as records: from the command, or from files staff upload in the
admin and a task imports. (A consumer's links to accounts: billing.links.)"""

import contextlib
import csv
import io
import logging
from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from portal.exchange.files import Source, apply_order
from portal.exchange.staging import import_files
from portal.retries import TRANSIENT_ERRORS
from portal.scoping import scopes_disabled
from portal.spreadsheet import not_a_formula

from .models import ImportFile, ImportRun

logger = logging.getLogger(__name__)
# A run queued longer than this was not picked up (its publish or its task lost).
IMPORT_RUN_REPUBLISH_AFTER = timedelta(minutes=2)


def import_run_record(tenant, report, *, dry_run, user, run=None):
    """Keep an import (the command's, or an admin upload's ``run``) with its figures and its
    rejected lines as a CSV with Russian reasons, for the tenant's staff."""
    with transaction.atomic():
        if run is None:
            run = ImportRun.objects.create(tenant=tenant, started_by=user, dry_run=dry_run)
        files = {file.name: file for file in run.files.all()}
        for file_report in report.files:
            record = files.get(file_report.file) or ImportFile(tenant=tenant, run=run, name=file_report.file)
            record.kind = file_report.kind
            record.read, record.created, record.updated = file_report.read, file_report.created, file_report.updated
            record.unchanged, record.rejected = file_report.unchanged, file_report.rejected_count
            record.problem = file_report.problem_ru or file_report.problem
            if file_report.rejected_count:
                record.rejected_lines.save(f"{run.pk}-{file_report.file}", ContentFile(_rejected_csv(file_report)),
                                           save=False)
            record.save()
        run.status = ImportRun.Status.DONE
        run.written = report.written
        run.finished_at = timezone.now()
        run.save()
    return run


def _rejected_csv(file_report):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(["строка", "причина"])
    for rejected in file_report.rejected():
        writer.writerow([rejected.line, not_a_formula(rejected.reason("ru"))])
    return buffer.getvalue().encode("utf-8-sig")  # with a BOM, so that Excel reads it as UTF-8


def import_start_uploaded(tenant, *, user, uploads, dry_run=False):
    """An import run from files staff uploaded in the admin: stored, then run by a task."""
    from .tasks import run_import

    with transaction.atomic():
        run = ImportRun.objects.create(tenant=tenant, started_by=user, dry_run=dry_run)
        for upload in uploads:
            ImportFile.objects.create(tenant=tenant, run=run, name=upload.name, upload=upload)
        transaction.on_commit(lambda: run_import.delay(tenant_id=tenant.pk, run_id=run.pk))
    return run


# The first key of the session-level advisory lock a worker holds while it runs an import
# run (the run's id is the second); "brun".
RUN_LOCK = 0x6272756E


@contextlib.contextmanager
def _run_claimed(run_id):
    """Whether this worker may run the import run ``run_id``, held for the block.

    The task is acks_late: a worker that dies mid-run has its task delivered again, and a
    broker may deliver a task twice. On PostgreSQL a session-level advisory lock on the run
    tells the cases apart: held elsewhere, another worker runs it now (skip); free while the
    run says "running", the worker that ran it is gone (its connection and lock with it),
    so run it again (each file is its own transaction and a file imported again changes
    nothing). Elsewhere only a queued run is claimed, by one conditional UPDATE."""
    statuses = [ImportRun.Status.QUEUED]
    locked = connection.vendor == "postgresql"
    if locked:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [RUN_LOCK, run_id])
            if not cursor.fetchone()[0]:
                yield False
                return
        statuses.append(ImportRun.Status.RUNNING)
    try:
        yield bool(ImportRun.objects.filter(pk=run_id, status__in=statuses).update(status=ImportRun.Status.RUNNING))
    finally:
        if locked:
            with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
                # (A connection that broke took its lock with it.)
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [RUN_LOCK, run_id])


def import_runs_resume(*, now=None):
    """Beat, every 5 minutes, across tenants: the run is the job (its files are stored with
    it), so a run whose task was lost is published again — queued for longer than
    IMPORT_RUN_REPUBLISH_AFTER (the publish at commit failed, or the broker lost the task), or
    «running» with nobody holding its lock (its worker died and the broker lost the task
    too; PostgreSQL only). A copy of a task that is still coming finds the run claimed, or
    done, and does nothing (``_run_claimed``). Returns the ids published."""
    from .tasks import run_import

    now = now or timezone.now()
    with scopes_disabled():
        queued = ImportRun.objects.filter(status=ImportRun.Status.QUEUED, created_at__lte=now - IMPORT_RUN_REPUBLISH_AFTER)
        runs = list(queued.values_list("pk", "tenant_id"))
        if connection.vendor == "postgresql":
            running = ImportRun.objects.filter(status=ImportRun.Status.RUNNING).values_list("pk", "tenant_id")
            runs += [(pk, tenant_id) for pk, tenant_id in running if not _run_lock_held(pk)]
    published = []
    for run_id, tenant_id in runs:
        try:
            run_import.delay(tenant_id=tenant_id, run_id=run_id)
        except (*TRANSIENT_ERRORS, OSError) as error:
            logger.warning("Import run %s not published again (%s); the next sweep tries.", run_id, error)
            break
        published.append(run_id)
    if published:
        logger.info("Import runs published again: %s", published)
    return published


def _run_lock_held(run_id):
    """Whether a worker holds the lock of run ``run_id`` (it runs it now)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [RUN_LOCK, run_id])
        if not cursor.fetchone()[0]:
            return True
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [RUN_LOCK, run_id])
    return False


def import_run_uploaded(tenant, run_id):
    """The task's body: import the run's uploaded files, in dependency order."""
    with _run_claimed(run_id) as claimed:
        if not claimed:
            return None  # done already, running in another worker (a duplicated task), or gone
        return _import_run_uploaded(tenant, ImportRun.objects.get(pk=run_id))


def _import_run_uploaded(tenant, run):
    files = sorted(run.files.all(), key=lambda file: apply_order(file.name))
    sources = [Source(file.name, file.upload.open) for file in files if file.upload]
    try:
        report = import_files(tenant, sources, dry_run=run.dry_run)
    except Exception as error:
        message = gettext("Загрузка прервалась из-за ошибки на сервере. Файлы, обработанные до неё, записаны "
                          "(каждый целиком или никак); загрузите файлы снова или сообщите администратору. "
                          "Для администратора: %(error)s") % {"error": repr(error)}
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportRun.Status.FAILED, error=message[:2000], finished_at=timezone.now()
        )
        raise
    try:
        return import_run_record(tenant, report, dry_run=run.dry_run, user=run.started_by, run=run)
    finally:
        report.close()
