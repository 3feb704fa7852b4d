"""Account rules: registration and its steps, activation, recovery, consents, expiry.

Registration is a short sequence of steps that the tenant's policy decides and the user's
state reveals (``registration_next_step``): confirm the phone by SMS code, set a password,
confirm the e-mail by code or link. When no step is left the account is activated.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from billing.models import Contract
from portal.hosts import tenant_base_url
from portal.models import ConsentDocument
from portal.scoping import active_tenant_scope
from portal.services import message_send_email, message_send_sms

from . import confirmations
from .models import Confirmation, ConsentAcceptance, User
from .phones import looks_like_phone, normalize_phone

PHONE_CODE = "phone_code"
EMAIL_CODE = "email_code"
EMAIL_LINK = "email_link"
PASSWORD = "password"

CONTRACT_NOT_FOUND = "Ошибка регистрации! Контрагент не найден!"
CONTACT_NOT_FOUND = "Ошибка регистрации! Телефон (email) не найден!"


class RegistrationError(Exception):
    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class ClientInfo:
    """Where a request came from, for consent records."""

    ip_address: str | None
    user_agent: str


def contact_of(value):
    """('phone', '+79...') or ('email', 'a@b.ru') for what a user typed as a login/contact."""
    if looks_like_phone(value):
        return "phone", normalize_phone(value)
    return "email", value.strip().lower()


# Registration


@transaction.atomic
def registration_start(*, tenant, client, password, consents, email="", phone="", username="",
                       last_name="", first_name="", middle_name="", login_is_generated=False):
    """Create the not-yet-activated user, record consents and send the first confirmation.

    Raises RegistrationError when the e-mail or phone belongs to an account already.
    """
    policy = tenant.policy
    _claim_contacts(email=email, phone=phone)
    user = User(
        tenant=tenant, username=username or email or phone, email=email, phone=phone,
        last_name=last_name, first_name=first_name, middle_name=middle_name,
        login_is_generated=login_is_generated,
        is_active=policy.login_before_activation,
        activation_deadline=timezone.now() + timedelta(hours=policy.activation_window_hours),
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    consents_record(user=user, documents=consents, client=client)
    registration_advance(user=user)
    return user


def _claim_contacts(*, email, phone):
    """Refuse contacts of existing accounts; an abandoned, never activated registration
    with them is removed so that the person can start again."""
    for field, value, message in (
        ("email", email, "Этот e-mail уже зарегистрирован. Войдите или восстановите пароль."),
        ("phone", phone, "Этот телефон уже зарегистрирован. Войдите или восстановите пароль."),
    ):
        taken = User.objects.filter(**{f"{field}__iexact": value}).first() if value else None
        if taken and taken.activation_deadline is not None and not taken.is_active:
            taken.delete()
        elif taken:
            raise RegistrationError(message, field=field)


def registration_next_step(user):
    policy = user.tenant.policy
    if policy.phone_confirmation == "code" and user.phone and not user.phone_verified:
        return PHONE_CODE
    if not user.has_usable_password():
        return PASSWORD
    if policy.email_confirmation != "none" and user.email and not user.email_verified:
        return EMAIL_CODE if policy.email_confirmation == "code" else EMAIL_LINK
    return None


def registration_advance(*, user):
    """Send what the next step needs, or activate when nothing is left. Returns the step."""
    step = registration_next_step(user)
    if step is None:
        account_activate(user=user)
    elif step != PASSWORD and not confirmations.latest(user=user, purpose=_purpose(step)):
        registration_send(user=user, enforce_cooldown=False)
    return step


def _purpose(step):
    return Confirmation.Purpose.SIGNUP_PHONE if step == PHONE_CODE else Confirmation.Purpose.SIGNUP_EMAIL


def registration_send(*, user, enforce_cooldown=True):
    """(Re)send the code or link of the user's current step. Raises ResendTooSoon."""
    step = registration_next_step(user)
    tenant, policy = user.tenant, user.tenant.policy
    if step == PHONE_CODE:
        issued = confirmations.issue(
            user=user, purpose=Confirmation.Purpose.SIGNUP_PHONE, channel="sms", destination=user.phone,
            enforce_cooldown=enforce_cooldown,
        )
        minutes = max(1, policy.code_ttl_seconds // 60)
        message_send_sms(tenant=tenant, to=user.phone,
                         text=f"{tenant.short_name}: код подтверждения {issued.code}. Действует {minutes} мин.")
    elif step in (EMAIL_CODE, EMAIL_LINK):
        with_key = step == EMAIL_LINK
        with_code = step == EMAIL_CODE or policy.email_confirmation == "link_and_code"
        issued = confirmations.issue(
            user=user, purpose=Confirmation.Purpose.SIGNUP_EMAIL, channel="email", destination=user.email,
            with_code=with_code, with_key=with_key, enforce_cooldown=enforce_cooldown,
        )
        lines = [f"Здравствуйте! Вы регистрируетесь в личном кабинете {tenant.short_name}."]
        if issued.code:
            lines.append(f"Код подтверждения: {issued.code}")
        if issued.key:
            url = tenant_base_url(tenant) + reverse("accounts:activate", args=[issued.key])
            deadline = timezone.localtime(issued.confirmation.expires_at).strftime("%d.%m.%Y %H:%M")
            lines.append(f"Чтобы активировать личный кабинет, перейдите по ссылке:\n{url}")
            lines.append(f"Ссылка действительна до {deadline}.")
            if policy.delete_unactivated:
                lines.append("Если не активировать личный кабинет до этого срока, он будет удалён.")
        lines.append("Если вы не регистрировались, просто удалите это письмо.")
        message_send_email(tenant=tenant, to=user.email, subject=f"{tenant.short_name}: подтверждение регистрации",
                           body="\n\n".join(lines))


def registration_confirm_code(*, user, code):
    """Check the code of the current step; mark the contact verified and move on.

    Not one transaction: a wrong code must stay counted when ConfirmationError is raised.
    """
    step = registration_next_step(user)
    if step not in (PHONE_CODE, EMAIL_CODE, EMAIL_LINK):
        raise confirmations.ConfirmationError("Код не требуется.")
    confirmations.check_code(user=user, purpose=_purpose(step), code=code)
    with transaction.atomic():
        _mark_verified(user, step)
        return registration_advance(user=user)


@transaction.atomic
def registration_set_password(*, user, password):
    user.set_password(password)
    user.save(update_fields=["password"])
    return registration_advance(user=user)


@transaction.atomic
def registration_confirm_link(*, key):
    """The activation link: verify the e-mail and finish. Returns the user."""
    confirmation = confirmations.consume_key(key=key, purpose=Confirmation.Purpose.SIGNUP_EMAIL)
    user = confirmation.user
    if registration_next_step(user) != EMAIL_LINK:
        raise confirmations.ConfirmationError("Ссылка недействительна.")
    _mark_verified(user, EMAIL_LINK)
    registration_advance(user=user)
    return user


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
    kind, value = contact
    known = _registry_phones(contract) if kind == "phone" else contract.email_list
    if value not in known:
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
    contract = contract_for_registration(inn=inn, contract_number=contract_number, contact=contact)
    counterparty = contract.counterparty
    if counterparty.account_id:
        existing = counterparty.account
        if existing.activation_deadline is None:
            raise RegistrationError(
                "Этот контрагент уже зарегистрирован. Если вы забыли пароль, воспользуйтесь восстановлением пароля."
            )
        existing.delete()  # an abandoned registration; start again
    kind, value = contact
    user = registration_start(
        tenant=tenant, client=client, password=password, consents=consents,
        username=generated_login(inn=inn, contract_number=contract.number), login_is_generated=True,
        email=value if kind == "email" else "", phone=value if kind == "phone" else "",
    )
    counterparty.account = user
    counterparty.save(update_fields=["account"])
    return user


# Staff register a customer (guide 001)


@transaction.atomic
def registration_by_staff(*, tenant, email, phone, last_name, first_name, middle_name=""):
    """The customer gets an SMS one-time password, enters it, sets a password, activates by
    the e-mailed link within the policy's window."""
    return registration_start(
        tenant=tenant, client=ClientInfo(ip_address=None, user_agent="admin"), password="", consents=[],
        email=email, phone=phone, last_name=last_name, first_name=first_name, middle_name=middle_name,
    )


# Recovery


def recovery_request(*, tenant, login):
    """Send a reset code (and, to an e-mail, a link) to the account with this login, if any.

    Returns nothing either way: the page says the same whether the account exists.
    """
    user = user_by_login(tenant=tenant, login=login)
    if user is None or not user.is_active:
        return
    try:
        _send_reset(user)
    except confirmations.ResendTooSoon:
        return


def _send_reset(user, *, enforce_cooldown=True):
    tenant = user.tenant
    if user.phone and (not user.email or user.username == user.phone):
        issued = confirmations.issue(user=user, purpose=Confirmation.Purpose.PASSWORD_RESET, channel="sms",
                                     destination=user.phone, enforce_cooldown=enforce_cooldown)
        message_send_sms(tenant=tenant, to=user.phone,
                         text=f"{tenant.short_name}: код для смены пароля {issued.code}. Никому его не сообщайте.")
        return
    issued = confirmations.issue(user=user, purpose=Confirmation.Purpose.PASSWORD_RESET, channel="email",
                                 destination=user.email, with_key=True, enforce_cooldown=enforce_cooldown)
    url = tenant_base_url(tenant) + reverse("accounts:password_reset_key", args=[issued.key])
    message_send_email(
        tenant=tenant, to=user.email, subject=f"{tenant.short_name}: восстановление пароля",
        body=(f"Код для смены пароля: {issued.code}\n\nИли перейдите по ссылке, чтобы задать новый пароль:\n{url}\n\n"
              "Если вы не запрашивали смену пароля, просто удалите это письмо — пароль останется прежним."),
    )


def user_by_login(*, tenant, login):
    """The user of the active tenant with this login (as the tenant's policy defines it)."""
    login = (login or "").strip()
    if not login or len(login) > 254:
        return None
    kind = tenant.policy.login_kind
    if kind == "contract":
        return User.objects.filter(username=login).first()
    if kind == "phone_or_email" and looks_like_phone(login):
        try:
            return User.objects.filter(phone=normalize_phone(login)).first()
        except ValidationError:
            return None
    return User.objects.filter(email__iexact=login).first()


def recovery_by_code(*, user, code, password):
    # check_code commits its own count of wrong tries; see registration_confirm_code.
    confirmations.check_code(user=user, purpose=Confirmation.Purpose.PASSWORD_RESET, code=code)
    password_reset_complete(user=user, password=password)


@transaction.atomic
def recovery_by_key(*, key, password):
    confirmation = confirmations.consume_key(key=key, purpose=Confirmation.Purpose.PASSWORD_RESET)
    password_reset_complete(user=confirmation.user, password=password)
    return confirmation.user


@transaction.atomic
def recovery_start_by_contract(*, tenant, inn, contract_number, contact, password):
    """Guide 000: recovery repeats the registration form; the code goes to the contact."""
    contract = contract_for_registration(inn=inn, contract_number=contract_number, contact=contact)
    user = contract.counterparty.account
    if user is None or user.activation_deadline is not None:
        raise RegistrationError(CONTRACT_NOT_FOUND)
    kind, value = contact
    issued = confirmations.issue(user=user, purpose=Confirmation.Purpose.PASSWORD_RESET,
                                 channel="sms" if kind == "phone" else "email", destination=value)
    text = f"{tenant.short_name}: код для смены пароля {issued.code}. Никому его не сообщайте."
    if kind == "phone":
        message_send_sms(tenant=tenant, to=value, text=text)
    else:
        message_send_email(tenant=tenant, to=value, subject=f"{tenant.short_name}: восстановление пароля", body=text)
    return user, make_password(password)


def password_reset_complete(*, user, password=None, password_hash=None):
    """Set the new password (ending every session: the session hash changes) and tell the user."""
    if password_hash:
        user.password = password_hash
    else:
        user.set_password(password)
    user.save(update_fields=["password"])
    notify_user(user=user, subject="Пароль изменён",
                text="Пароль от вашего личного кабинета изменён. Если это были не вы, срочно обратитесь в поддержку.")


def notify_user(*, user, subject, text):
    """A security notice to the user's e-mail, or by SMS when there is no e-mail."""
    tenant = user.tenant
    if user.email:
        message_send_email(tenant=tenant, to=user.email, subject=f"{tenant.short_name}: {subject}", body=text)
    elif user.phone:
        message_send_sms(tenant=tenant, to=user.phone, text=f"{tenant.short_name}: {text}")


# Consents


def consent_documents(*, moment):
    return list(ConsentDocument.objects.filter(is_active=True, moment=moment).order_by("-required", "kind"))


def consents_record(*, user, documents, client):
    for document in documents:
        ConsentAcceptance.objects.get_or_create(
            tenant=user.tenant, user=user, document=document, withdrawn_at=None,
            defaults={"ip_address": client.ip_address, "user_agent": client.user_agent[:500]},
        )


def consents_pending(*, user):
    """Required documents the user still has to sign after logging in (guide 004)."""
    if not user.tenant.policy.consent_after_first_login:
        return []
    accepted = ConsentAcceptance.objects.filter(user=user, withdrawn_at__isnull=True).values("document_id")
    return list(
        ConsentDocument.objects.filter(is_active=True, required=True, moment=ConsentDocument.Moment.FIRST_LOGIN)
        .exclude(pk__in=accepted)
    )


def consent_withdraw(*, user, acceptance_id):
    """Withdraw an optional consent (required ones are withdrawn by closing the account)."""
    if not str(acceptance_id).isdigit():
        return False
    acceptance = ConsentAcceptance.objects.select_related("document").filter(
        user=user, pk=int(acceptance_id), withdrawn_at__isnull=True
    ).first()
    if acceptance is None or acceptance.document.required:
        return False
    acceptance.withdrawn_at = timezone.now()
    acceptance.save(update_fields=["withdrawn_at"])
    return True


# Expiry


def expire_unactivated(*, now=None):
    """Delete this tenant's accounts past their activation window (when its policy says so).

    Runs in the active tenant scope; returns how many were deleted.
    """
    tenant = active_tenant_scope()
    if tenant is None or not tenant.policy.delete_unactivated:
        return 0
    expired = User.objects.filter(activation_deadline__lt=now or timezone.now(), is_staff=False, is_superuser=False)
    count = expired.count()
    expired.delete()
    return count
