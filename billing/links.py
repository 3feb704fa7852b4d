"""How a link to a personal account is made, proven, and ended: every rung of the access
ladder that billing.access reads (docs/security.md).

- **Linking by number** (guides 002 and 004) makes a *basic* link: a number proves nothing.
  Only an activated login may link (its contact confirmed first).
- **Proofs** raise a link to *full* and are recorded on it (``AccountLink.Proof``): the
  control question or PIN (guide 004), the wizard's surname or INN (guide 003, checked before
  the link is made), the contract's registered contact (guide 000, at registration), or staff
  in the admin.
- **Contract links** (guide 000) follow billing's registry: made for every account of the
  user's counterparty's active contracts, and ended when billing moves a contract to another
  INN or terminates it.

Rate limits are named here; callers pass the client's key (``client``: the tenant and the
address, portal.ratelimits.by_client), computed at the edge.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from portal.ratelimits import reserve_failures

from .models import Account, AccountLink, Charge, Contract, PinRequest, WrongAnswers
from .pins import pin_matches

Proof = AccountLink.Proof


class LinkRefused(Exception):
    """A link the user cannot make or raise; ``message`` says why, in Russian."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


# --- Making a link ---------------------------------------------------------------------------


def _activated_first(user):
    """Linking needs an activated login: an unconfirmed e-mail or phone is nobody yet."""
    if not user.is_activated:
        raise LinkRefused(_("Сначала подтвердите свой e-mail или телефон: лицевой счёт можно подключить только "
                            "к активированному личному кабинету."))


def account_find(*, supplier, number):
    """The account ``number`` (as the user typed it) of ``supplier``: the supplier's format
    normalises and checks it first; an account billing does not know, or a closed one, is
    refused with a message."""
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


def link_create(*, user, account, proof=""):
    """Link ``account`` to ``user``: basic, or full with the ``proof`` already checked."""
    _activated_first(user)
    fields = {"access": AccountLink.Access.BASIC, "proof": ""}
    if proof:
        fields = {"access": AccountLink.Access.FULL, "proof": proof, "proven_at": timezone.now()}
    link, created = AccountLink.objects.get_or_create(tenant=user.tenant, user=user, account=account, defaults=fields)
    if not created:
        raise LinkRefused(_("Лицевой счёт %(number)s уже подключён.") % {"number": account.number})
    return link


# Linking by number shows what a basic link may see, so trying numbers one after another is
# limited: numbers billing does not know, per user and per client.
LINK_FAILURES_PER_DAY = 20


def link_by_number(*, user, client, supplier, number):
    """Guides 002 and 004: a basic link by supplier and number."""
    _activated_first(user)
    rate = f"{LINK_FAILURES_PER_DAY}/d"
    reservation = reserve_failures({"billing:link:user": (f"{user.tenant_id}:{user.pk}", rate),
                                    "billing:link:client": (client, rate)})
    if reservation.refused:
        raise LinkRefused(_("Слишком много попыток с неизвестными номерами. Попробуйте завтра или обратитесь "
                            "в поддержку."))
    account = account_find(supplier=supplier, number=number)  # LinkRefused: the try stays counted
    reservation.forgive()
    return link_create(user=user, account=account)


def link_delete(*, link):
    link.delete()


# --- The wizard's proof (guide 003) ----------------------------------------------------------

# Besides the number, the wizard asks what only the holder knows from the receipt: the
# holder's surname (a household) or the INN of the contract (a business).
WIZARD_FAILURES_PER_DAY = 10


def _folded(text):
    return text.casefold().replace("ё", "е").strip()


def wizard_account_find(*, user, subscriber_type, supplier, number, surname="", inn=""):
    """The account the wizard's answers describe, or LinkRefused (the same message whatever
    was wrong, so the wizard cannot be used to learn holders' names). Wrong answers are
    limited per user, WIZARD_FAILURES_PER_DAY a day. The answers are the proof: link it with
    ``link_create(proof=Proof.WIZARD)``."""
    _activated_first(user)
    # Counted before the check and forgiven when right: tries sent at once stop at the limit.
    reservation = reserve_failures(
        {"billing:wizard:user": (f"{user.tenant_id}:{user.pk}", f"{WIZARD_FAILURES_PER_DAY}/d")})
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


# --- The control question (guide 004) -------------------------------------------------------

QUESTION_LABELS = {
    Proof.METER_SERIAL: _lazy("Серийный номер прибора учёта"),
    Proof.LAST_CHARGE: _lazy("Сумма последнего начисления в копейках"),
    Proof.PIN: _lazy("PIN-код (может быть напечатан на квитанции)"),
}

# Wrong answers a day: each user and each client has a low limit of its own; the account has
# a ceiling above them (WrongAnswers, which staff see and lift), so that many users or
# addresses guessing one account stop too, while one stranger cannot lock the holder out.
WRONG_ANSWERS_PER_USER = 5
WRONG_ANSWERS_PER_CLIENT = 20
WRONG_ANSWERS_PER_ACCOUNT = 30


def control_questions(policy):
    """The control questions the tenant asks (its policy's billing section), in the order
    they are offered; none while extended access is off."""
    if not policy.extended_access:
        return []
    asked = {Proof.METER_SERIAL: policy.question_meter_serial, Proof.LAST_CHARGE: policy.question_last_charge,
             Proof.PIN: policy.question_pin}
    return [str(question) for question, on in asked.items() if on]


def pins_issued(policy):
    """Whether the tenant gives out PINs (printed on receipts, mailed, or at the office): a PIN
    request then asks for one, else it asks staff to confirm the link."""
    return Proof.PIN in control_questions(policy)


def pin_request_sent_message(policy):
    if pins_issued(policy):
        return _("Запрос на получение PIN-кода отправлен. PIN-код придёт по почте или его можно получить в офисе "
                 "обслуживания.")
    return _("Запрос отправлен. Сотрудник свяжется с вами, чтобы подтвердить, что лицевой счёт ваш.")


def _last_charge(account):
    """The account's last non-zero period total (what the kopecks question asks), or None:
    a zero is anybody's first guess."""
    totals = (Charge.objects.filter(account=account).values("period").annotate(total=Sum("charged"))
              .exclude(total=0).order_by("-period").values_list("total", flat=True))
    return totals.first()


def _meter_serials(account):
    # The meters app builds on billing: its meters are reached through the account's relation.
    serials = account.meters.filter(archived_on__isnull=True).values_list("serial", flat=True)
    return {_serial(serial) for serial in serials if _serial(serial)}


def _serial(text):
    return text.replace(" ", "").upper()


def questions_for(link, policy):
    """The control questions the policy asks that this account can answer, with their labels:
    a question whose answer the account lacks (no meter, no non-zero charge, no PIN) is not
    offered, so no answer is ever trivially guessable."""
    available = {
        Proof.METER_SERIAL: lambda: bool(_meter_serials(link.account)),
        Proof.LAST_CHARGE: lambda: _last_charge(link.account) is not None,
        Proof.PIN: lambda: bool(link.account.pin_hash),
    }
    return [(key, QUESTION_LABELS[key]) for key in control_questions(policy) if available[key]()]


def _answer_is_right(account, question, answer):
    answer = answer.strip()
    if not answer:
        return False
    if question == Proof.METER_SERIAL:
        return _serial(answer) in _meter_serials(account)
    if question == Proof.LAST_CHARGE:
        total = _last_charge(account)
        if total is None or not answer.isascii() or not answer.isdigit():
            return False
        return int(answer) == int(total * 100)
    if question == Proof.PIN:
        return pin_matches(account, answer)
    return False


def questions_closed(account, *, today):
    """Whether the account has reached today's ceiling of wrong answers (staff can lift it)."""
    return ceiling_reached(WrongAnswers.objects.filter(account=account).first(), today=today)


def ceiling_reached(row, *, today):
    """Whether ``row`` (an account's WrongAnswers, or None) closes the question ``today``."""
    return row is not None and row.day == today and row.count >= WRONG_ANSWERS_PER_ACCOUNT


def _count_wrong_answer(account, *, today):
    """One more wrong answer against the account's ceiling (a row per account, reset daily)."""
    with transaction.atomic():
        row, created = WrongAnswers.objects.select_for_update().get_or_create(
            account=account, defaults={"tenant_id": account.tenant_id, "day": today, "count": 1})
        if created:
            return
        if row.day != today:
            row.day, row.count, row.lifted_at, row.lifted_by = today, 1, None, None
            row.save()
        else:
            WrongAnswers.objects.filter(pk=row.pk).update(count=F("count") + 1)


def link_prove_by_answer(*, link, policy, client, question, answer, today):
    """Raise ``link`` to full on a right answer. Returns (granted, message). Wrong answers are
    limited per user and per client (cache), and per account by a ceiling (database)."""
    if link.access == AccountLink.Access.FULL:
        return True, _("Полный доступ уже подключён.")
    if questions_closed(link.account, today=today):
        return False, _("Слишком много неверных ответов по этому лицевому счёту. Подайте запрос на получение "
                        "PIN-кода или обратитесь в офис обслуживания.")
    # Counted before the answer is checked and forgiven when it is right: answers sent at once
    # (parallel requests) cannot get past the limit.
    reservation = reserve_failures({
        "billing:control:user": (f"{link.tenant_id}:{link.user_id}", f"{WRONG_ANSWERS_PER_USER}/d"),
        "billing:control:client": (client, f"{WRONG_ANSWERS_PER_CLIENT}/d"),
    })
    if reservation.refused:
        return False, _("Слишком много неверных ответов. Попробуйте завтра или подайте запрос на получение PIN-кода.")
    allowed = {key for key, _label in questions_for(link, policy)}
    if question in allowed and _answer_is_right(link.account, question, answer):
        reservation.forgive()
        _prove(link, proof=question)
        return True, _("Полный доступ подключён.")
    _count_wrong_answer(link.account, today=today)
    return False, _("Ответ неверный. Проверьте данные по квитанции.")


def _prove(link, *, proof, by=None):
    link.access, link.proof, link.proven_at, link.proven_by = AccountLink.Access.FULL, proof, timezone.now(), by
    link.save(update_fields=["access", "proof", "proven_at", "proven_by"])


def wrong_answers_lift(*, row, staff):
    """Staff lift an account's ceiling of wrong answers (the admin's action)."""
    row.count, row.lifted_at, row.lifted_by = 0, timezone.now(), staff
    row.save(update_fields=["count", "lifted_at", "lifted_by"])


def pin_request_create(*, link):
    """«Подать запрос на получение PIN-кода»: one open request per user and account. Works
    whatever the count of wrong answers: it is how a locked-out holder goes on."""
    pin_request, _created = PinRequest.objects.get_or_create(
        tenant=link.tenant, user=link.user, account=link.account, handled_at=None
    )
    return pin_request


# --- Staff ------------------------------------------------------------------------------------


def link_confirm_by_staff(*, link, staff):
    """Staff confirmed in the admin that the account is the user's (a document seen in the
    office, a PIN request handled): full access, recorded with who confirmed it; the user is
    told."""
    from accounts.messages import notify_user

    if link.access != AccountLink.Access.FULL:
        _prove(link, proof=Proof.STAFF, by=staff)
        notify_user(user=link.user, template="billing/messages/access_confirmed", account=link.account)
    PinRequest.objects.filter(user_id=link.user_id, account_id=link.account_id, handled_at=None).update(
        handled_at=timezone.now())
    return link


def link_withdraw_proof(*, link):
    """Staff take a confirmation back (given in error): the link is basic again."""
    link.access, link.proof, link.proven_at, link.proven_by = AccountLink.Access.BASIC, "", None, None
    link.save(update_fields=["access", "proof", "proven_at", "proven_by"])


# --- Contracts (guide 000) --------------------------------------------------------------------


def _users_contracts():
    """Active contracts of the link's user's counterparty for the link's account (a subquery)."""
    return Contract.objects.filter(
        counterparty__account=OuterRef("user_id"), supplier_id=OuterRef("account__supplier_id"),
        number=OuterRef("account__contract_number"), status=Contract.Status.ACTIVE,
    )


def contract_links_end(*, user=None):
    """End the links that came with a contract which billing has since moved to another INN
    or terminated (of ``user``, or of the whole tenant). Returns how many."""
    stale = AccountLink.objects.filter(proof=Proof.CONTRACT).exclude(Exists(_users_contracts()))
    if user is not None:
        stale = stale.filter(user=user)
    deleted, _by_model = stale.delete()  # post_delete per link: the user's cached links go
    return deleted


def contract_links_sync(*, user):
    """Guide 000: a legal entity's accounts come with its registration. Every account whose
    active contract belongs to the user's counterparty (all contracts of the same INN, at any
    of the tenant's suppliers) is linked with full access, and links whose contract has moved
    or ended go; one query each when nothing changes. The overview calls it once per session
    and version of the tenant's billing data; an import of contracts ends stale links at once
    (``on_billing_data_changed``)."""
    if not user.is_activated:
        return 0
    contracts = Contract.objects.filter(
        counterparty__account=user, supplier_id=OuterRef("supplier_id"), number=OuterRef("contract_number"),
        status=Contract.Status.ACTIVE,
    )
    missing = list(
        Account.objects.filter(Exists(contracts))
        .exclude(contract_number="")
        .exclude(links__user=user)
        .values_list("pk", flat=True)
    )
    if missing:
        now = timezone.now()
        AccountLink.objects.bulk_create(
            [AccountLink(tenant=user.tenant, user=user, account_id=pk, access=AccountLink.Access.FULL,
                         proof=Proof.CONTRACT, proven_at=now) for pk in missing],
            ignore_conflicts=True,
        )
    return len(missing) + contract_links_end(user=user)


# Where a session notes the tenant's billing version (billing.fragments) when the overview
# (cabinet.views) last synced the user's contract links; unlinking an account drops it, so
# the next overview links a contract's account again.
CONTRACTS_SYNCED_KEY = "billing:contracts_synced"


# The import's kinds that can move or end a contract, or change an account's contract.
CONTRACT_KINDS = {"counterparties", "contracts", "accounts"}


def on_billing_data_changed(sender, *, tenant, kinds, **kwargs):
    """portal.exchange.signals.billing_data_changed: an import of the registry ends the links whose
    contract it moved or terminated, for every user of the tenant at once."""
    if kinds & CONTRACT_KINDS:
        from portal.scoping import tenant_scope

        with tenant_scope(tenant), transaction.atomic():
            contract_links_end()
