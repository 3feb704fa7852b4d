"""Billing's rules that views, commands and tasks share: import runs kept as records, and a
consumer's links to personal accounts (linking, the control question, PIN requests)."""

import contextlib
import csv
import io

from django.core.files.base import ContentFile
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from portal.spreadsheet import not_a_formula

from . import fragments, imports
from .models import Account, AccountLink, Charge, ImportFile, ImportRun, PinRequest


def record_import_run(tenant, report, *, dry_run, user, run=None):
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
            record.problem = file_report.problem
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


def start_uploaded_import(tenant, *, user, uploads, dry_run=False):
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


def run_uploaded_import(tenant, run_id):
    """The task's body: import the run's uploaded files, in dependency order."""
    with _run_claimed(run_id) as claimed:
        if not claimed:
            return None  # done already, running in another worker (a duplicated task), or gone
        return _run_uploaded_import(tenant, ImportRun.objects.get(pk=run_id))


def _run_uploaded_import(tenant, run):
    files = sorted(run.files.all(), key=lambda file: imports.apply_order(file.name))
    sources = [imports.Source(file.name, file.upload.open) for file in files if file.upload]
    try:
        report = imports.import_files(tenant, sources, dry_run=run.dry_run)
    except Exception as error:
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportRun.Status.FAILED, error=repr(error)[:2000], finished_at=timezone.now()
        )
        raise
    try:
        return record_import_run(tenant, report, dry_run=run.dry_run, user=run.started_by, run=run)
    finally:
        report.close()


# --- Linking personal accounts (guides 002, 003, 004) ----------------------------------------


class LinkRefused(Exception):
    """A link the user cannot make; ``message`` says why, in Russian."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def find_account(*, supplier, number):
    """The account ``number`` (as the user typed it) of ``supplier``: the supplier's format
    normalises and checks it first; an account billing does not know, or a closed one, is
    refused with a message."""
    from django.core.exceptions import ValidationError

    try:
        normalized = supplier.clean_account_number(number)
    except ValidationError as error:
        raise LinkRefused(error.messages[0]) from None
    account = Account.objects.filter(supplier=supplier, number=normalized).select_related("supplier").first()
    if account is None:
        raise LinkRefused(_("Лицевой счёт %(number)s у поставщика «%(supplier)s» не найден. Проверьте номер по "
                            "квитанции; если он верный, обратитесь в поддержку.")
                          % {"number": normalized, "supplier": supplier.name})
    if account.is_closed:
        raise LinkRefused(_("Лицевой счёт %(number)s закрыт.") % {"number": normalized})
    return account


def link_found_account(*, user, account):
    """Link ``account`` to ``user``. Access is full at once where the tenant's policy has no
    control question (guide 002), basic otherwise (guide 004)."""
    access = AccountLink.Access.BASIC if user.tenant.policy.extended_access else AccountLink.Access.FULL
    link, created = AccountLink.objects.get_or_create(
        tenant=user.tenant, user=user, account=account, defaults={"access": access}
    )
    if not created:
        raise LinkRefused(_("Лицевой счёт %(number)s уже подключён.") % {"number": account.number})
    return link


# Linking by number alone shows what a basic link may see, so trying numbers one after
# another is limited: numbers billing does not know, per user and per client.
LINK_FAILURES_PER_DAY = 20


def link_account(*, request, user, supplier, number):
    """Guides 002 and 004: link by supplier and number."""
    from portal.ratelimits import by_client, reserve_failure

    keys = {
        "billing:link:user": lambda group, request: f"{user.tenant_id}:{user.pk}",
        "billing:link:client": by_client,
    }
    reservation = reserve_failure(request, *keys, rate=f"{LINK_FAILURES_PER_DAY}/d", key=keys)
    if reservation.refused:
        raise LinkRefused(_("Слишком много попыток с неизвестными номерами. Попробуйте завтра или обратитесь "
                            "в поддержку."))
    account = find_account(supplier=supplier, number=number)  # LinkRefused: the try stays counted
    reservation.forgive()
    return link_found_account(user=user, account=account)


# Guide 003's wizard asks, besides the number, what only the holder knows from the
# receipt: the holder's surname (a household) or the INN of the contract (a business).
WIZARD_FAILURES_PER_DAY = 10


def _folded(text):
    return text.casefold().replace("ё", "е").strip()


def wizard_find_account(*, request, user, subscriber_type, supplier, number, surname="", inn=""):
    """The account the wizard's answers describe, or LinkRefused (the same message whatever
    was wrong, so the wizard cannot be used to learn holders' names). Wrong answers are
    limited per user, WIZARD_FAILURES_PER_DAY a day."""
    from django.core.exceptions import ValidationError

    from portal.ratelimits import reserve_failure

    from .models import Contract

    def key(group, request):
        return f"{user.tenant_id}:{user.pk}"

    # Counted before the check and forgiven when right: tries sent at once stop at the limit.
    reservation = reserve_failure(request, "billing:wizard:user", rate=f"{WIZARD_FAILURES_PER_DAY}/d", key=key)
    if reservation.refused:
        raise LinkRefused(_("Слишком много неудачных попыток. Попробуйте завтра или обратитесь в поддержку."))
    try:
        normalized = supplier.clean_account_number(number)
    except ValidationError as error:  # the number's format (its hint): nothing about an account
        reservation.forgive()
        raise LinkRefused(error.messages[0]) from None
    # A number billing does not know (or a closed account) is wrong like a wrong surname:
    # the same message, counted, or the wizard would tell which numbers exist.
    account = Account.objects.filter(supplier=supplier, number=normalized, closed_on__isnull=True).first()
    if account is None:
        proven = False
    elif subscriber_type == Account.SubscriberType.INDIVIDUAL:
        holder = _folded(account.holder_name).split()
        proven = account.subscriber_type == subscriber_type and bool(holder) and holder[0] == _folded(surname)
    else:
        proven = (
            account.subscriber_type == subscriber_type and bool(account.contract_number)
            and Contract.objects.filter(supplier=supplier, number=account.contract_number,
                                        counterparty__inn=inn.strip()).exists()
        )
    if not proven:
        raise LinkRefused(_("Данные не совпадают с данными лицевого счёта. Проверьте их по квитанции."))
    reservation.forgive()
    return account


def unlink_account(*, link):
    link.delete()


# The control question of guide 004: wrong answers are limited per account and per user.
WRONG_ANSWERS_PER_DAY = 5


class ControlQuestion:
    METER_SERIAL = "meter_serial"
    LAST_CHARGE = "last_charge"
    PIN = "pin"


QUESTION_LABELS = {
    ControlQuestion.METER_SERIAL: _lazy("Серийный номер прибора учёта"),
    ControlQuestion.LAST_CHARGE: _lazy("Сумма последнего начисления в копейках"),
    ControlQuestion.PIN: _lazy("PIN-код (может быть напечатан на квитанции)"),
}


def control_questions(policy):
    """The questions the tenant's policy asks, in the guide's order, with their labels."""
    return [(key, QUESTION_LABELS[key]) for key in policy.control_questions]


def _answer_is_right(account, question, answer):
    from meters.models import Meter

    from .pins import pin_matches

    answer = answer.strip()
    if not answer:
        return False
    if question == ControlQuestion.METER_SERIAL:
        serials = Meter.objects.filter(account=account, archived_on__isnull=True).values_list("serial", flat=True)
        return answer.replace(" ", "").upper() in {serial.replace(" ", "").upper() for serial in serials}
    if question == ControlQuestion.LAST_CHARGE:
        last = Charge.objects.filter(account=account).order_by("-period").values_list("period", flat=True).first()
        if last is None or not answer.isascii() or not answer.isdigit():
            return False
        total = sum(Charge.objects.filter(account=account, period=last).values_list("charged", flat=True))
        return int(answer) == int(total * 100)
    if question == ControlQuestion.PIN:
        return pin_matches(account, answer)
    return False


def answer_control_question(*, request, link, question, answer):
    """Grant full access on a right answer. Returns (granted, message). Wrong answers are
    counted per account and per user, WRONG_ANSWERS_PER_DAY a day each: guessing a PIN
    from many accounts, or one account from many users, stops at the limit."""
    from portal.ratelimits import reserve_failure

    keys = {
        "billing:control:account": lambda group, request: f"{link.tenant_id}:{link.account_id}",
        "billing:control:user": lambda group, request: f"{link.tenant_id}:{link.user_id}",
    }
    # Counted before the answer is checked and forgiven when it is right: answers sent at
    # once (parallel requests) cannot get past the limit.
    reservation = reserve_failure(request, *keys, rate=f"{WRONG_ANSWERS_PER_DAY}/d", key=keys)
    if reservation.refused:
        return False, _("Слишком много неверных ответов. Попробуйте завтра или подайте запрос на получение PIN-кода.")
    allowed = {key for key, _label in control_questions(link.tenant.policy)}
    if question in allowed and _answer_is_right(link.account, question, answer):
        link.access = AccountLink.Access.FULL
        link.save(update_fields=["access"])
        reservation.forgive()
        return True, _("Расширенная версия личного кабинета подключена.")
    return False, _("Ответ неверный. Проверьте данные по квитанции.")


def request_pin(*, link):
    """«Подать запрос на получение PIN-кода»: one open request per user and account."""
    pin_request, _created = PinRequest.objects.get_or_create(
        tenant=link.tenant, user=link.user, account=link.account, handled_at=None
    )
    return pin_request


def sync_contract_links(*, user):
    """Guide 000: a legal entity's accounts come with its registration. Every account whose
    contract belongs to the user's counterparty (all contracts of the same INN, at any of the
    tenant's suppliers) is linked with full access; one query when nothing is missing. The
    overview calls it once per session and version of the tenant's billing data, so accounts
    imported later appear there."""
    from django.db.models import Exists, OuterRef

    from .models import Contract

    contracts = Contract.objects.filter(
        counterparty__account=user, supplier_id=OuterRef("supplier_id"), number=OuterRef("contract_number")
    )
    missing = list(
        Account.objects.filter(Exists(contracts))
        .exclude(contract_number="")
        .exclude(links__user=user)
        .values_list("pk", flat=True)
    )
    if missing:
        AccountLink.objects.bulk_create(
            [AccountLink(tenant=user.tenant, user=user, account_id=pk, access=AccountLink.Access.FULL)
             for pk in missing],
            ignore_conflicts=True,
        )
        fragments.forget_user(user.pk)  # bulk_create sends no post_save
    return len(missing)
