"""Registration and its steps, activation; by contract (guide 000) and by staff (guide 001).

Registration is a short sequence of steps that the tenant's policy decides and the user's
state reveals (``registration_next_step``): confirm the phone by SMS code, give the required
consents (if staff registered the customer), set a password, confirm the e-mail by code or
link. When no step is left the account is activated.

Nothing a stranger can type tells whether an account exists: a signup with someone's
contact leads to the same next page (the owner is told by that contact instead), and an
abandoned registration is replaced only by whoever proves its contact (a "claim").
"""

from dataclasses import asdict, dataclass, field
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import Contract, Counterparty
from portal.hosts import tenant_base_url
from portal.models import ConsentDocument
from portal.phones import normalize_phone

from . import confirmations, messages
from .contacts import Contact
from .models import Confirmation, User, normalize_email
from .services import (
    CLAIM_IN_ANOTHER_BROWSER, CONFIRMATION_STEPS, CONSENTS, CONTACT_NOT_FOUND, CONTACT_TAKEN, CONTRACT_NOT_FOUND,
    EMAIL_CODE, EMAIL_LINK, PASSWORD, PHONE_CODE, WRONG_PHONE_OR_CODE, ClientInfo, RegistrationError,
    consents_record, signup_consents_missing,
)


@dataclass(frozen=True)
class Signup:
    """What a signup form gave, as plain data: it becomes a user at once, or waits in a
    claim's payload until the person proves the contact (``registration_claim``)."""

    email: str = ""
    phone: str = ""
    username: str = ""
    login_is_generated: bool = False
    last_name: str = ""
    first_name: str = ""
    middle_name: str = ""
    password_hash: str = ""  # empty: the password is set at a later step
    consent_ids: list = field(default_factory=list)
    ip_address: str | None = None
    user_agent: str = ""
    counterparty_id: int | None = None  # guide 000: the counterparty the account registers
    by_staff: bool = False

    @property
    def contacts(self):
        return [contact for contact in (Contact.email(self.email), Contact.phone(self.phone)) if contact.value]


def signup_of(*, client, password, consents, **fields):
    """A Signup from a form's values (the password hashed at once, never kept plain)."""
    return Signup(password_hash=make_password(password) if password else "",
                  consent_ids=[document.pk for document in consents],
                  ip_address=client.ip_address, user_agent=client.user_agent[:500], **fields)


@dataclass(frozen=True)
class SignupStarted:
    """What the browser that signed up continues with: the new ``user``; or a ``claim`` (a
    code or link went to a contact of an abandoned registration, which proving it replaces);
    or neither (the contact is someone's: its owner was told, and the page looks the same).
    ``step`` and ``destination`` are what the next page says was sent, and where."""

    step: str
    destination: str
    user: User | None = None
    claim: Confirmation | None = None
    decoy_name: str = ""


@transaction.atomic
def registration_start(*, tenant, signup, replaces=None):
    """Start a registration, answering alike whether its contacts are free.

    ``replaces``: a pending registration this one may take over once its own contact is
    proven (guide 000: the counterparty's, proven by any contact of the contract).
    Raises RegistrationError only where no page could look alike (a policy that confirms
    nothing), TooManyMessages past the destination's hourly cap.
    """
    holders = _contact_holders(signup)
    if replaces is not None:
        holders.add(replaces)
    if not holders:
        try:
            with transaction.atomic():
                user = _create_registration(tenant=tenant, signup=signup)
        except IntegrityError:
            holders = _contact_holders(signup)  # a signup in parallel took the contact first
            if not holders:
                raise
        else:
            step = registration_advance(user=user)
            return SignupStarted(step=step, destination=registration_destination(user, step), user=user)
    draft = _draft_user(tenant, signup)
    step = registration_next_step(draft)
    if step not in CONFIRMATION_STEPS:
        taken = next(contact for contact in signup.contacts if any(contact.is_held_by(h) for h in holders))
        raise RegistrationError(CONTACT_TAKEN[taken.kind], field=str(taken.kind))
    destination = registration_destination(draft, step)
    holder = next(iter(holders)) if len(holders) == 1 else None
    if holder is not None and _claimable(holder, destination, proven_by_any_contact=holder == replaces):
        issued = _send_claim(holder=holder, step=step, destination=destination, payload=asdict(signup))
        return SignupStarted(step=step, destination=destination, claim=issued.confirmation)
    for owner in holders:
        _tell_owner(owner=owner, signup=signup, by_any_contact=owner == replaces)
    decoy = signup_decoy(tenant=tenant, destination=destination)
    decoy.send(enforce_cooldown=False)  # the owner's notice spent the contact's budget
    return SignupStarted(step=step, destination=destination, decoy_name=decoy.name)


def signup_decoy(*, tenant, destination):
    """What answers for the code of a signup whose contact is someone else's."""
    return confirmations.Decoy(tenant=tenant, name=f"signup:{destination}")


def _contact_holders(signup):
    holders = set()
    if signup.email:
        # E-mails are stored in lower case; the plain comparison is the one the index serves.
        holders.update(User.objects.filter(email=normalize_email(signup.email)))
    if signup.phone:
        holders.update(User.objects.filter(phone=signup.phone))
    return holders


def _claimable(holder, destination, *, proven_by_any_contact):
    """An abandoned self-registration may be taken over by whoever proves its contact."""
    pending = holder.activation_deadline is not None and not holder.registered_by_staff
    owns_contact = proven_by_any_contact or destination.lower() in {holder.email.lower(), holder.phone}
    return pending and not holder.is_staff and owns_contact


def _tell_owner(*, owner, signup, by_any_contact=False):
    """Someone typed this person's contact at signup: tell them by that contact, within its
    hourly budget (a stranger must not use the portal to flood a phone). ``by_any_contact``:
    guide 000, where any contact of the contract speaks for the registered counterparty."""
    tenant = owner.tenant
    url = tenant_base_url(tenant) + reverse("accounts:password_reset")
    for contact in signup.contacts:
        if not (by_any_contact or contact.is_held_by(owner)):
            continue
        confirmations.spend_destination_budget(tenant.pk, contact.value)
        messages.send(tenant=tenant, contact=contact, template="already_registered", url=url)


def _draft_user(tenant, signup):
    """The unsaved user a registration would create, to tell its first step."""
    user = User(tenant=tenant, email=signup.email, phone=signup.phone, password=signup.password_hash)
    if not signup.password_hash:
        user.set_unusable_password()
    return user


def registration_destination(user, step):
    """Where the code or link of ``step`` goes."""
    return user.phone if step == PHONE_CODE else user.email


def _create_registration(*, tenant, signup, verified_contact=""):
    """The not-yet-activated user, with its consents; ``verified_contact`` is already proven."""
    policy = tenant.policy
    user = User(
        tenant=tenant, username=signup.username or signup.email or signup.phone, email=signup.email,
        phone=signup.phone, last_name=signup.last_name, first_name=signup.first_name,
        middle_name=signup.middle_name, login_is_generated=signup.login_is_generated,
        registered_by_staff=signup.by_staff, is_active=policy.login_before_activation,
        activation_deadline=timezone.now() + timedelta(hours=policy.activation_window_hours),
        phone_verified=bool(signup.phone) and verified_contact == signup.phone,
        email_verified=bool(signup.email) and verified_contact == signup.email,
    )
    if signup.password_hash:
        user.password = signup.password_hash
    else:
        user.set_unusable_password()
    user.save()
    documents = ConsentDocument.objects.filter(pk__in=signup.consent_ids, is_active=True)
    consents_record(user=user, documents=documents, client=ClientInfo(signup.ip_address, signup.user_agent))
    if signup.counterparty_id:
        Counterparty.objects.filter(pk=signup.counterparty_id).update(account=user)
    return user


def registration_next_step(user):
    policy = user.tenant.policy
    if policy.confirms_phone_by_code and user.phone and not user.phone_verified:
        return PHONE_CODE
    if user.pk and user.activation_deadline is not None and signup_consents_missing(user=user):
        return CONSENTS
    if not user.has_usable_password():
        return PASSWORD
    if policy.confirms_email and user.email and not user.email_verified:
        return EMAIL_CODE if policy.confirms_email_by_code_only else EMAIL_LINK
    return None


def registration_advance(*, user):
    """Send what the next step needs, or activate when nothing is left. Returns the step."""
    step = registration_next_step(user)
    if step is None:
        account_activate(user=user)
    elif step in CONFIRMATION_STEPS and not confirmations.latest(user=user, purpose=_purpose(step)):
        registration_send(user=user, enforce_cooldown=False)
    return step


def _purpose(step):
    return Confirmation.Purpose.SIGNUP_PHONE if step == PHONE_CODE else Confirmation.Purpose.SIGNUP_EMAIL


def registration_send(*, user, enforce_cooldown=True):
    """(Re)send the code or link of the user's current step. Raises ResendTooSoon."""
    step = registration_next_step(user)
    if step in CONFIRMATION_STEPS:
        _send_confirmation(user=user, step=step, purpose=_purpose(step), destination=registration_destination(user, step),
                           enforce_cooldown=enforce_cooldown)


def _send_confirmation(*, user, step, purpose, destination, payload=None, enforce_cooldown=True):
    """Issue the confirmation of ``step`` and send it to ``destination``; one wording for a
    registration's own step and for a claim, so the two cannot be told apart."""
    tenant, policy = user.tenant, user.tenant.policy
    minutes = policy.code_ttl_minutes
    if step == PHONE_CODE:
        issued = confirmations.issue(user=user, purpose=purpose, channel="sms", destination=destination,
                                     enforce_cooldown=enforce_cooldown, payload=payload)
        if user.registered_by_staff:
            # The customer did not start this on the site: say where the code goes.
            url = tenant_base_url(tenant) + reverse("accounts:signup_continue")
            messages.send_sms(tenant=tenant, to=destination, template="signup_code_by_staff", code=issued.code,
                              valid_until=issued.valid_until,
                              minutes=minutes, url=url, user=user)
        else:
            messages.send_sms(tenant=tenant, to=destination, template="signup_code", code=issued.code, minutes=minutes,
                              valid_until=issued.valid_until,
                              user=user)
        return issued
    with_key = step == EMAIL_LINK
    with_code = step == EMAIL_CODE or policy.mails_code_with_link
    issued = confirmations.issue(user=user, purpose=purpose, channel="email", destination=destination,
                                 with_code=with_code, with_key=with_key, enforce_cooldown=enforce_cooldown,
                                 payload=payload)
    url = deadline = None
    if issued.key:
        url = tenant_base_url(tenant) + reverse("accounts:activate", args=[issued.key])
        deadline = timezone.localtime(issued.confirmation.key_expires_at).strftime("%d.%m.%Y %H:%M")
    messages.send_email(tenant=tenant, to=destination, template="signup", code=issued.code, minutes=minutes,
                        valid_until=issued.valid_until,
                        url=url, deadline=deadline, deletes=policy.delete_unactivated, user=user)
    return issued


def registration_confirm_code(*, user, code, max_attempts=None):
    """Check the code of the current step; mark the contact verified and move on.

    Not one transaction: a wrong code must stay counted when ConfirmationError is raised.
    """
    step = registration_next_step(user)
    if step not in CONFIRMATION_STEPS:
        raise confirmations.ConfirmationError(_("Код не требуется."))
    confirmations.check_code(user=user, purpose=_purpose(step), code=code, max_attempts=max_attempts)
    with transaction.atomic():
        _mark_verified(user, step)
        return registration_advance(user=user)


@transaction.atomic
def registration_set_password(*, user, password):
    user.set_password(password)
    user.save(update_fields=["password"])
    return registration_advance(user=user)


@transaction.atomic
def registration_give_consents(*, user, documents, client):
    consents_record(user=user, documents=documents, client=client)
    return registration_advance(user=user)


@transaction.atomic
def registration_confirm_link(*, key, claim_id=None):
    """The activation link, of a registration or of a claim. Returns the user.

    A claim's link works only in the browser that made the claim (``claim_id``, from its
    session): the payload is that browser's registration, and the owner of the address who
    opens a link somebody else caused must not apply a stranger's password."""
    confirmation = confirmations.find_by_key(
        key=key, purposes=[Confirmation.Purpose.SIGNUP_EMAIL, Confirmation.Purpose.SIGNUP_CLAIM]
    )
    if confirmation.purpose == Confirmation.Purpose.SIGNUP_CLAIM and confirmation.pk != claim_id:
        raise confirmations.ConfirmationError(CLAIM_IN_ANOTHER_BROWSER)
    confirmation = confirmations.consume_key(key=key, purposes=[confirmation.purpose])
    if confirmation.purpose == Confirmation.Purpose.SIGNUP_CLAIM:
        return registration_claim(confirmation=confirmation)
    user = confirmation.user
    if registration_next_step(user) != EMAIL_LINK:
        raise confirmations.ConfirmationError(_("Ссылка недействительна."))
    _mark_verified(user, EMAIL_LINK)
    registration_advance(user=user)
    return user


def _send_claim(*, holder, step, destination, payload):
    """A code (or link) to the contact of an abandoned registration, in words of its own: it
    tells the owner that a new registration will replace the unfinished one. Claims spend
    the contact's hourly budget; the cooldown is the abandoned registration's, not theirs."""
    tenant = holder.tenant
    by_sms = step == PHONE_CODE
    issued = confirmations.issue(
        user=holder, purpose=Confirmation.Purpose.SIGNUP_CLAIM, channel="sms" if by_sms else "email",
        destination=destination, payload=payload, enforce_cooldown=False,
        with_code=by_sms or step == EMAIL_CODE or tenant.policy.mails_code_with_link, with_key=step == EMAIL_LINK,
    )
    url = tenant_base_url(tenant) + reverse("accounts:activate", args=[issued.key]) if issued.key else None
    contact = Contact.phone(destination) if by_sms else Contact.email(destination)
    messages.send(tenant=tenant, contact=contact, template="signup_claim", code=issued.code,
                  valid_until=issued.valid_until, url=url,
                  minutes=tenant.policy.code_ttl_minutes)
    return issued


def registration_claim_by_code(*, claim, code):
    """The code of the claim this browser made: proven, its registration replaces the
    abandoned one. Another browser's claim (a later one supersedes this) never applies."""
    claim.refresh_from_db()
    if claim.superseded or claim.used_at:
        raise confirmations.ConfirmationError(confirmations.CODE_INVALID, needs_new_code=True)
    confirmation = confirmations.check_code(user=claim.user, purpose=Confirmation.Purpose.SIGNUP_CLAIM, code=code)
    if confirmation.pk != claim.pk:
        raise confirmations.ConfirmationError(confirmations.CODE_INVALID, needs_new_code=True)
    with transaction.atomic():
        return registration_claim(confirmation=confirmation)


def registration_claim(*, confirmation):
    """Replace the abandoned registration with the one in the claim's payload, whose contact
    (``destination``) is now proven. Returns the new user."""
    signup = Signup(**confirmation.payload)
    abandoned = User.objects.select_for_update().filter(pk=confirmation.user_id).first()
    others = _contact_holders(signup) - {abandoned}
    if abandoned is None or not _claimable(abandoned, confirmation.destination, proven_by_any_contact=True) or others:
        raise confirmations.ConfirmationError(confirmations.CODE_INVALID, needs_new_code=True)
    tenant = abandoned.tenant
    abandoned.delete()
    user = _create_registration(tenant=tenant, signup=signup, verified_contact=confirmation.destination)
    registration_advance(user=user)
    return user


def registration_claim_resend(*, claim, step):
    """«Отправить ещё раз» on a claim's page: a new code or link with the same payload, after
    the cooldown. Returns the new claim."""
    wait = confirmations.seconds_until_resend(user=claim.user, purpose=Confirmation.Purpose.SIGNUP_CLAIM)
    if wait:
        raise confirmations.ResendTooSoon(wait)
    return _send_claim(holder=claim.user, step=step, destination=claim.destination, payload=claim.payload).confirmation


def _mark_verified(user, step):
    if step == PHONE_CODE:
        user.phone_verified = True
        user.save(update_fields=["phone_verified"])
    else:
        user.email_verified = True
        user.save(update_fields=["email_verified"])


def account_activate(*, user):
    user.is_active = True
    user.activation_deadline = None
    user.save(update_fields=["is_active", "activation_deadline"])


# Registration by contract (guide 000): INN + contract number + one of the contract's contacts.


def contract_for_registration(*, inn, contract_number, contact):
    """The contract whose counterparty has ``inn`` and whose contacts include ``contact``.

    Raises RegistrationError with the guide's two messages, verbatim.
    """
    contract = (
        Contract.objects.select_related("counterparty")
        .filter(counterparty__inn=inn, number=contract_number.strip(), status=Contract.Status.ACTIVE)
        .first()
    )
    if contract is None:
        raise RegistrationError(CONTRACT_NOT_FOUND)
    known = _registry_phones(contract) if contact.is_phone else contract.email_list
    if contact.value not in known:
        raise RegistrationError(CONTACT_NOT_FOUND)
    return contract


def _registry_phones(contract):
    """The contract's phones in our form; a malformed one in the billing data is skipped."""
    phones = []
    for phone in contract.phone_list:
        try:
            phones.append(normalize_phone(phone))
        except ValidationError:
            continue
    return phones


def generated_login(*, inn, contract_number):
    return f"{inn}-{contract_number.strip()}"


@transaction.atomic
def registration_start_by_contract(*, tenant, client, inn, contract_number, contact, password, consents):
    """Guide 000. A counterparty registered already gets the same next page as a new one
    (its contact is told); an abandoned registration of it is replaced once the contact
    typed now is proven."""
    contract = contract_for_registration(inn=inn, contract_number=contract_number, contact=contact)
    counterparty = contract.counterparty
    signup = signup_of(
        client=client, password=password, consents=consents,
        username=generated_login(inn=inn, contract_number=contract.number), login_is_generated=True,
        counterparty_id=counterparty.pk, **contact.as_fields(),
    )
    return registration_start(tenant=tenant, signup=signup, replaces=counterparty.account)


# Staff register a customer (guide 001)


@transaction.atomic
def registration_by_staff(*, tenant, email, phone, last_name, first_name, middle_name=""):
    """The customer gets an SMS one-time password, enters it, gives the tenant's consents,
    sets a password and activates by the e-mailed link within the policy's window.

    The form has checked the contacts are free; a self-signup never replaces this one."""
    signup = Signup(email=email, phone=phone, last_name=last_name, first_name=first_name, middle_name=middle_name,
                    user_agent="admin", by_staff=True)
    user = _create_registration(tenant=tenant, signup=signup)
    registration_advance(user=user)
    return user


# Wrong tries of a staff-made customer's code, from anyone, before it dies (staff send a new
# one). Far above a person's typos, so that a stranger needs many addresses to kill it (the
# view allows each client STAFF_CODE_FAILURES_PER_CLIENT an hour); far below what guessing
# six digits needs.
STAFF_CODE_MAX_ATTEMPTS = 100


def registration_continue_by_staff_code(*, phone, code):
    """A customer registered by staff proves the phone with the SMS code. Every refusal reads
    the same (an unknown phone, a wrong, expired or dead code), so a stranger cannot tell a
    pending phone from an unknown one."""
    user = User.objects.filter(phone=phone, activation_deadline__isnull=False, registered_by_staff=True).first()
    try:
        if user is None or registration_next_step(user) != PHONE_CODE:
            raise confirmations.ConfirmationError(WRONG_PHONE_OR_CODE)
        registration_confirm_code(user=user, code=code, max_attempts=STAFF_CODE_MAX_ATTEMPTS)
    except confirmations.ConfirmationError:
        raise confirmations.ConfirmationError(WRONG_PHONE_OR_CODE) from None
    return user
