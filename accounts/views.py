"""Registration, confirmation, recovery and consents. Login, logout and password change
are allauth's (allauth.urls, with templates/account/).

The user in the middle of registration is kept in the session (``SIGNUP_SESSION_KEY``),
never in a URL, so a step page only ever serves the browser that started it.
"""

from allauth.account import views as allauth_views
from allauth.account.views import PasswordChangeView
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django.utils.translation import gettext_lazy as _

from portal.page_cache import anonymous_page
from portal.pages import tenant_page
from portal.ratelimits import UNCOUNTABLE, by_field, client_ip, counting_down, limited, reserve_failure

from . import recovery, registration, services
from .confirmations import ConfirmationError, Decoy, ResendTooSoon, TooManyMessages, find_by_key, seconds_until_resend
from .forms import (
    CodeForm,
    ConsentsForm,
    ContractRecoveryForm,
    LoginForm,
    NewPasswordForm,
    RecoveryForm,
    SignupForm,
    StaffContinueForm,
)
from .models import Confirmation, ConsentAcceptance, User
from portal.phones import mask_phone

SIGNUP_SESSION_KEY = "signup_user_id"
# A signup whose contact was taken: {"step", "destination", and "claim_id" or "decoy_name"}.
# The page it gets is the page a new registration gets.
SIGNUP_STAND_IN_KEY = "signup_stand_in"
SHOW_LOGIN_SESSION_KEY = "signup_show_login"
RESET_SESSION_KEY = "password_reset_user_id"
RESET_DECOY_SESSION_KEY = "password_reset_decoy"
TOO_MANY = _("Слишком много попыток. Подождите минуту и попробуйте снова.")
TOO_MANY_FOR_AN_HOUR = _("Слишком много неверных попыток. Попробуйте через час.")
TOO_MANY_CODES = _("На этот телефон или e-mail уже отправлено много кодов. Попробуйте через час.")

# One login typed many ways is one key (portal.ratelimits): a phone in +7 form, spaces dropped.
per_login = {field: by_field(field, normalize=services.normalized_login) for field in ("login", "inn", "phone")}


def client_info(request):
    return services.ClientInfo(ip_address=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", ""))


def pending_user(request):
    user_id = request.session.get(SIGNUP_SESSION_KEY)
    return User.objects.filter(pk=user_id).first() if user_id else None


def _continue_as(request, user):
    """From now on this browser's registration is ``user``'s."""
    request.session.pop(SIGNUP_STAND_IN_KEY, None)
    request.session[SIGNUP_SESSION_KEY] = user.pk


@anonymous_page
@tenant_page(signed_in=False)
def signup(request):
    tenant = request.tenant
    if request.user.is_authenticated:
        return redirect("portal:home")
    consents = services.consent_documents(moment="signup")
    form = SignupForm(request.POST or None, tenant=tenant, consents=consents)
    if request.method == "POST":
        if refused := limited(request, "accounts.signup", rate=services.SIGNUP_STEPS_PER_MINUTE):
            form.add_error(None, refused.text(TOO_MANY))
        elif form.is_valid():
            try:
                started = _start_registration(request, form)
            except services.RegistrationError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            except ResendTooSoon:
                form.add_error(None, TOO_MANY_CODES)
            else:
                _remember_signup(request, started)
                return redirect("accounts:signup_step")
    return render(request, "accounts/signup.html", {"form": form})


def _remember_signup(request, started):
    """What this browser continues with: the new registration, or a stand-in for it."""
    session = request.session
    session.cycle_key()
    session.pop(SIGNUP_SESSION_KEY, None)
    session.pop(SIGNUP_STAND_IN_KEY, None)
    session[SHOW_LOGIN_SESSION_KEY] = request.tenant.policy.registers_by_contract
    if started.user:
        _continue_as(request, started.user)
        return
    session[SIGNUP_STAND_IN_KEY] = {"step": started.step, "destination": started.destination,
                                    "claim_id": started.claim.pk if started.claim else None,
                                    "decoy_name": started.decoy_name}


def _start_registration(request, form):
    data, tenant = form.cleaned_data, request.tenant
    common = {"client": client_info(request), "consents": form.accepted_consents(), "password": data.get("password")}
    if tenant.policy.registers_by_contract:
        return registration.registration_start_by_contract(
            tenant=tenant, inn=data["inn"], contract_number=data["contract_number"], contact=form.contact, **common,
        )
    contacts = {"email": data.get("email", ""), "phone": data.get("phone", "")}
    if tenant.policy.login_is_phone_or_email:
        contacts = form.login_contact.as_fields()
    signup = registration.signup_of(
        **contacts, last_name=data.get("last_name", ""), first_name=data.get("first_name", ""),
        middle_name=data.get("middle_name", ""), **common,
    )
    return registration.registration_start(tenant=tenant, signup=signup)


@tenant_page(signed_in=False)
def signup_step(request):
    if SIGNUP_STAND_IN_KEY in request.session:
        return _stand_in_step(request, request.session[SIGNUP_STAND_IN_KEY])
    user = pending_user(request)
    if user is None:
        messages.error(request, _("Сеанс регистрации истёк или не начат. Зарегистрируйтесь заново."))
        return redirect("accounts:signup")
    step = registration.registration_next_step(user)
    if step is None:
        return redirect("accounts:signup_done")
    if step == services.PASSWORD:
        return _signup_password(request, user)
    if step == services.CONSENTS:
        return _signup_consents(request, user)
    purpose = Confirmation.Purpose.SIGNUP_PHONE if step == services.PHONE_CODE else Confirmation.Purpose.SIGNUP_EMAIL

    def confirm(code):
        registration.registration_confirm_code(user=user, code=code)
        return user

    return _code_step(request, step=step, destination=registration.registration_destination(user, step),
                      confirm=confirm, resend_in=lambda: seconds_until_resend(user=user, purpose=purpose))


def _stand_in_step(request, stand_in):
    """The code page of a signup whose contact was taken: a claim's real code, or a Decoy."""
    claim, decoy = _claim_of(stand_in), _decoy_of(request.tenant, stand_in)

    def confirm(code):
        if claim is None:
            decoy.check()  # always refuses, as a wrong code would
        return registration.registration_claim_by_code(claim=claim, code=code)

    def resend_in():
        if claim is None:
            return decoy.seconds_until_resend()
        return seconds_until_resend(user=claim.user, purpose=Confirmation.Purpose.SIGNUP_CLAIM)

    return _code_step(request, step=stand_in["step"], destination=stand_in["destination"], confirm=confirm,
                      resend_in=resend_in)


def _code_step(request, *, step, destination, confirm, resend_in):
    """A registration's code page. ``confirm(code)`` returns the user whose registration this
    browser continues with, or raises ConfirmationError; one page for every kind of code,
    so a stand-in cannot be told from a new registration."""
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        if refused := limited(request, "accounts.confirm", rate=services.CODE_TRIES_PER_MINUTE):
            form.add_error(None, refused.text(TOO_MANY))
        elif form.is_valid():
            try:
                user = confirm(form.cleaned_data["code"])
            except ConfirmationError as error:
                form.add_error("code", error.message)
            else:
                _continue_as(request, user)
                return redirect("accounts:signup_step")
    return render(request, "accounts/signup_step.html",
                  _step_context(request.tenant, step, destination, form, resend_in()))


def _decoy_of(tenant, stand_in):
    if stand_in.get("decoy_name"):
        return Decoy(tenant=tenant, name=stand_in["decoy_name"])
    return registration.signup_decoy(tenant=tenant, destination=stand_in["destination"])


def _claim_of(stand_in):
    if not stand_in.get("claim_id"):
        return None
    return Confirmation.objects.select_related("user").filter(
        pk=stand_in["claim_id"], purpose=Confirmation.Purpose.SIGNUP_CLAIM
    ).first()


def _step_context(tenant, step, destination, form, resend_in):
    policy = tenant.policy
    return {
        "step": step,
        "form": form,
        "destination": mask_phone(destination) if step == services.PHONE_CODE else destination,
        "shows_code": step != services.EMAIL_LINK or policy.mails_code_with_link,
        "resend_in": resend_in,
        "code_minutes": policy.code_ttl_minutes,
        "window_hours": policy.activation_window_hours,
        "deletes": policy.delete_unactivated,
    }


def _signup_password(request, user):
    form = NewPasswordForm(request.POST or None, tenant=request.tenant, user=user)
    if request.method == "POST" and form.is_valid() and form.cleaned_data["password"]:
        registration.registration_set_password(user=user, password=form.cleaned_data["password"])
        return redirect("accounts:signup_step")
    return render(request, "accounts/signup_password.html", {"form": form})


def _signup_consents(request, user):
    data = request.POST if request.method == "POST" else None  # nothing ticked is still an answer
    form = ConsentsForm(data, consents=services.consent_documents(moment="signup"))
    if request.method == "POST" and form.is_valid():
        registration.registration_give_consents(user=user, documents=form.accepted_consents(),
                                                     client=client_info(request))
        return redirect("accounts:signup_step")
    return render(request, "accounts/signup_consents.html", {"form": form})


@tenant_page(signed_in=False)
@require_POST
def signup_resend(request):
    if refused := limited(request, "accounts.resend", rate=services.RESENDS_PER_MINUTE):
        messages.error(request, refused.text(TOO_MANY))
        return redirect("accounts:signup_step")
    stand_in = request.session.get(SIGNUP_STAND_IN_KEY)
    user = pending_user(request)
    if stand_in is None and user is None:
        return redirect("accounts:signup")
    try:
        if stand_in is None:
            registration.registration_send(user=user)
        elif (claim := _claim_of(stand_in)) is not None:
            stand_in["claim_id"] = registration.registration_claim_resend(claim=claim, step=stand_in["step"]).pk
            request.session.modified = True
        else:
            _decoy_of(request.tenant, stand_in).send(destination=stand_in["destination"])
    except TooManyMessages:
        messages.error(request, TOO_MANY_CODES)
    except ResendTooSoon as wait:
        messages.error(request, _("Отправить код ещё раз можно через %(seconds)s с.") % {"seconds": wait.seconds_left})
    else:
        messages.success(request, _("Мы отправили новый код."))
    return redirect("accounts:signup_step")


@tenant_page(signed_in=False)
def signup_done(request):
    user = pending_user(request)
    if user is None or registration.registration_next_step(user) is not None:
        return redirect("accounts:signup")
    show_login = request.session.pop(SHOW_LOGIN_SESSION_KEY, False)
    request.session.pop(SIGNUP_SESSION_KEY, None)
    return render(request, "accounts/signup_done.html", {"login": user.username if show_login else None,
                                                          "signed_in": False})


ACTIVATION_PURPOSES = [Confirmation.Purpose.SIGNUP_EMAIL, Confirmation.Purpose.SIGNUP_CLAIM]


@tenant_page(signed_in=False)
def activate(request, key):
    """The e-mailed link. GET only shows a button (mail scanners follow links); POST uses it."""
    try:
        if request.method != "POST":
            confirmation = find_by_key(key=key, purposes=ACTIVATION_PURPOSES)
            return render(request, "accounts/activate.html", {"email": confirmation.destination})
        stand_in = request.session.get(SIGNUP_STAND_IN_KEY) or {}
        user = registration.registration_confirm_link(key=key, claim_id=stand_in.get("claim_id"))
    except ConfirmationError as error:
        return render(request, "accounts/activate.html", {"error": error.message}, status=400)
    if registration.registration_next_step(user) is not None:
        _continue_as(request, user)  # a claim whose registration has steps left
        return redirect("accounts:signup_step")
    if request.session.get(SIGNUP_SESSION_KEY) == user.pk:
        request.session.pop(SIGNUP_SESSION_KEY, None)
    if request.user.is_authenticated:
        messages.success(request, _("Личный кабинет активирован."))
        return redirect("portal:home")
    messages.success(request, _("Личный кабинет активирован. Войдите с вашим логином и паролем."))
    return redirect("account_login")


# Set by the adapter when a login with the right password meets an account that is not
# activated yet (allauth's "account inactive" page), so that page can send the link again.
INACTIVE_USER_SESSION_KEY = "inactive_user_id"


@tenant_page(signed_in=False)
@require_POST
def activation_resend(request):
    """«Выслать ссылку»: a not yet confirmed user asks for the link again, either logged in
    (where the policy lets them in before activation) or from the "not activated" page after
    a login with the right password."""
    logged_in = request.user.is_authenticated
    back = "portal:home" if logged_in else "account_inactive"
    user = request.user if logged_in else inactive_user(request)
    if user is None or registration.registration_next_step(user) not in (services.EMAIL_LINK, services.EMAIL_CODE):
        return redirect(back if logged_in else "account_login")
    try:
        registration.registration_send(user=user)
    except TooManyMessages:
        messages.error(request, TOO_MANY_CODES)
    except ResendTooSoon as wait:
        messages.error(request, _("Письмо уже отправлено. Повторить можно через %(seconds)s с.") % {
            "seconds": wait.seconds_left})
    else:
        messages.success(request, _("Мы отправили ссылку для подтверждения на %(email)s.") % {"email": user.email})
    return redirect(back)


def inactive_user(request):
    user_id = request.session.get(INACTIVE_USER_SESSION_KEY)
    user = User.objects.filter(pk=user_id).first() if user_id else None
    return user if user is not None and not user.is_active else None


@tenant_page(signed_in=False)
def account_inactive(request):
    """allauth's "account not activated" notice, with a way to get the link again."""
    user = inactive_user(request)
    step = registration.registration_next_step(user) if user else None
    return render(request, "account/account_inactive.html", {
        "email": user.email if step in (services.EMAIL_LINK, services.EMAIL_CODE) else None,
    })


@tenant_page(signed_in=False)
def signup_continue(request):
    """A customer registered by staff enters the one-time password from the SMS.

    Only failed tries count against a client, so the customer who types the right code is
    never refused for what a stranger tried before (registration.STAFF_CODE_MAX_ATTEMPTS)."""
    if not request.tenant.policy.registers_customers_by_staff:
        raise Http404
    form = StaffContinueForm(request.POST or None)
    if request.method == "POST":
        # Counted before the try and forgiven when right: tries sent at once stop at the limit.
        reservation = reserve_failure(request, "accounts.continue", rate=services.STAFF_CODE_FAILURES_PER_CLIENT)
        if reservation.refused:
            form.add_error(None, reservation.text(TOO_MANY_FOR_AN_HOUR))
        elif not form.is_valid():
            reservation.forgive()  # an empty or malformed field tried no code
        else:
            try:
                user = registration.registration_continue_by_staff_code(phone=form.cleaned_data["phone"],
                                                                    code=form.cleaned_data["code"])
            except ConfirmationError as error:
                form.add_error("code", error.message)
            else:
                reservation.forgive()
                request.session.cycle_key()
                _continue_as(request, user)
                return redirect("accounts:signup_step")
    return render(request, "accounts/signup_continue.html", {"form": form})


# Login


def login(request):
    """allauth's login, refused with a clear message while its rate limits cannot count
    (Redis down): allauth would wait for its cache lock and answer 429 in English."""
    if request.method == "POST" and counting_down(probe=True):
        form = LoginForm(request=request, initial={"login": request.POST.get("login", "")})
        form.cleaned_data = {}
        form.add_error(None, UNCOUNTABLE)
        return render(request, "account/login.html", {"form": form}, status=429)
    return allauth_views.login(request)


# Recovery


@anonymous_page
@tenant_page(signed_in=False)
def password_reset(request):
    tenant = request.tenant
    by_contract = tenant.policy.registers_by_contract
    form_class = ContractRecoveryForm if by_contract else RecoveryForm
    form = form_class(request.POST or None, tenant=tenant)
    if request.method == "POST":
        # Uncounted (Redis down) a reset still goes out: it sends to the account's own
        # contact, and confirmations' cooldown and hourly cap per user are in the database.
        # Not by contract: there the answers (a contract, a contact, a decoy's cooldown, kept
        # in the cache) would tell, unlimited, whether an account exists.
        uncountable = "refuse" if by_contract else "allow"
        refused = (
            limited(request, "accounts.reset", rate=services.RESETS_PER_MINUTE, uncountable=uncountable)
            or limited(request, "accounts.reset-login", rate=services.RESETS_PER_LOGIN_PER_HOUR,
                       key=per_login["inn" if by_contract else "login"], uncountable=uncountable)
        )
        if refused:
            form.add_error(None, refused.text(TOO_MANY))
        elif form.is_valid() and by_contract and form.cleaned_data.get("password"):
            data = form.cleaned_data
            try:
                started = recovery.recovery_start_by_contract(
                    tenant=tenant, inn=data["inn"], contract_number=data["contract_number"],
                    contact=form.contact, password=data["password"],
                )
            except ValidationError as error:
                form.add_error("password1", error)
            except (services.RegistrationError, ResendTooSoon) as error:
                form.add_error(None, getattr(error, "message", _("Код уже отправлен. Подождите минуту.")))
            else:
                _start_reset(request, started)
                return redirect("accounts:password_reset_code")
        elif form.is_valid() and not by_contract:
            _start_reset(request, recovery.recovery_request(tenant=tenant, login=form.cleaned_data["login"]))
            return redirect("accounts:password_reset_code")
    return render(request, "accounts/password_reset.html", {"form": form, "by_contract": by_contract})


def _start_reset(request, started):
    """Remember whose code this browser enters; for nobody, which Decoy answers the tries."""
    request.session[RESET_SESSION_KEY] = started.user.pk if started.user else None
    request.session[RESET_DECOY_SESSION_KEY] = started.decoy_name


@tenant_page(signed_in=False)
def password_reset_code(request):
    """Enter the code (and, unless it came with the contract form, the new password). The
    page answers alike whether the login exists (recovery.recovery_by_code)."""
    session, tenant = request.session, request.tenant
    if RESET_SESSION_KEY not in session:
        return redirect("accounts:password_reset")
    user = User.objects.filter(pk=session[RESET_SESSION_KEY]).first() if session[RESET_SESSION_KEY] else None
    started = recovery.ResetStarted(user=user, decoy_name=session.get(RESET_DECOY_SESSION_KEY) or "")
    with_password = not tenant.policy.registers_by_contract
    form = NewPasswordForm(request.POST or None, tenant=tenant, with_code=True) if with_password else CodeForm(
        request.POST or None)
    if request.method == "POST":
        if refused := limited(request, "accounts.reset-code", rate=services.CODE_TRIES_PER_MINUTE):
            form.add_error(None, refused.text(TOO_MANY))
        elif form.is_valid():
            try:
                recovery.recovery_by_code(tenant=tenant, started=started, code=form.cleaned_data["code"],
                                          password=form.cleaned_data.get("password"))
            except ConfirmationError as error:
                form.add_error("code", error.message)
            except ValidationError as error:
                form.add_error("password1", error)
            else:
                session.pop(RESET_SESSION_KEY, None)
                session.pop(RESET_DECOY_SESSION_KEY, None)
                messages.success(request, _("Пароль изменён. Войдите с новым паролем."))
                return redirect("account_login")
    return render(request, "accounts/password_reset_code.html", {"form": form})


@tenant_page(signed_in=False)
def password_reset_key(request, key):
    try:
        confirmation = find_by_key(key=key, purposes=[Confirmation.Purpose.PASSWORD_RESET])
    except ConfirmationError as error:
        return render(request, "accounts/password_reset_key.html", {"error": error.message}, status=400)
    form = NewPasswordForm(request.POST or None, tenant=request.tenant, user=confirmation.user)
    if request.method == "POST" and form.is_valid() and form.cleaned_data["password"]:
        try:
            recovery.recovery_by_key(key=key, password=form.cleaned_data["password"])
        except ConfirmationError as error:
            return render(request, "accounts/password_reset_key.html", {"error": error.message}, status=400)
        messages.success(request, _("Пароль изменён. Войдите с новым паролем."))
        return redirect("account_login")
    return render(request, "accounts/password_reset_key.html", {"form": form})


class PortalPasswordChangeView(PasswordChangeView):
    """allauth's password change. allauth sends a user without a usable password to its
    "set password" page, which the portal does not serve: ours go to recovery instead."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_usable_password():
            return redirect("accounts:password_reset")
        return super().dispatch(request, *args, **kwargs)


password_change = tenant_page(PortalPasswordChangeView.as_view())


# Consents


@tenant_page
def consents(request):
    """What the user has accepted; the required documents still to sign (guide 004: the gate
    keeps the user here until they are); optional ones to give or withdraw."""
    user = request.user
    pending = services.consents_pending(user=user)
    data = request.POST if request.method == "POST" and "sign" in request.POST else None
    form = ConsentsForm(data, consents=pending)
    if form.is_bound and form.is_valid():
        services.consents_record(user=user, documents=form.accepted_consents(), client=client_info(request))
        messages.success(request, _("Спасибо! Согласие подписано."))
        return redirect("portal:home")
    if request.method == "POST" and "give" in request.POST:
        if services.consent_give(user=user, document_id=request.POST.get("give"), client=client_info(request)):
            messages.success(request, _("Согласие дано."))
        return redirect("accounts:consents")
    if request.method == "POST" and "withdraw" in request.POST:
        if services.consent_withdraw(user=user, acceptance_id=request.POST.get("withdraw")):
            messages.success(request, _("Согласие отозвано."))
        return redirect("accounts:consents")
    accepted = ConsentAcceptance.objects.filter(user=user).select_related("document")
    return render(request, "accounts/consents.html", {
        "form": form, "pending": pending, "accepted": accepted, "offered": services.consents_offered(user=user),
    })
