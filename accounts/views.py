"""Registration, confirmation, recovery and consents. Login, logout and password change
are allauth's (allauth.urls, with templates/account/).

The user in the middle of registration is kept in the session (``SIGNUP_SESSION_KEY``),
never in a URL, so a step page only ever serves the browser that started it.
"""

from functools import wraps

from allauth.core.internal.httpkit import get_client_ip
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited

from portal.ratelimits import per_tenant_field

from . import services
from .confirmations import (
    ConfirmationError,
    ResendTooSoon,
    TooManyMessages,
    check_code,
    find_by_key,
    seconds_until_resend,
)
from .forms import CodeForm, ContractRecoveryForm, NewPasswordForm, RecoveryForm, SignupForm, StaffContinueForm
from .models import Confirmation, ConsentAcceptance, User
from .phones import mask_phone

SIGNUP_SESSION_KEY = "signup_user_id"
SHOW_LOGIN_SESSION_KEY = "signup_show_login"
RESET_SESSION_KEY = "password_reset_user_id"
RESET_PASSWORD_SESSION_KEY = "password_reset_new_hash"
TOO_MANY = "Слишком много попыток. Подождите минуту и попробуйте снова."
TOO_MANY_CODES = "На этот телефон или e-mail уже отправлено много кодов. Попробуйте через час."


def tenant_required(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.tenant is None:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def limited(request, group, *, rate, key="ip"):
    """django-ratelimit for our own POSTs: True when this request is over the limit."""
    if request.method != "POST":
        return False
    return is_ratelimited(request, group=f"accounts.{group}", key=key, rate=rate, method="POST", increment=True)


def client_info(request):
    return services.ClientInfo(ip_address=get_client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", ""))


def pending_user(request):
    user_id = request.session.get(SIGNUP_SESSION_KEY)
    return User.objects.filter(pk=user_id).first() if user_id else None


@tenant_required
def signup(request):
    tenant = request.tenant
    if request.user.is_authenticated:
        return redirect("portal:home")
    consents = services.consent_documents(moment="signup")
    form = SignupForm(request.POST or None, tenant=tenant, consents=consents)
    if request.method == "POST":
        if limited(request, "signup", rate="10/m"):
            form.add_error(None, TOO_MANY)
        elif form.is_valid():
            try:
                user = _start_registration(request, form, consents)
            except services.RegistrationError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            except ResendTooSoon:
                form.add_error(None, TOO_MANY_CODES)
            else:
                request.session.cycle_key()
                request.session[SIGNUP_SESSION_KEY] = user.pk
                request.session[SHOW_LOGIN_SESSION_KEY] = user.login_is_generated
                return redirect("accounts:signup_step")
    return render(request, "accounts/signup.html", {"form": form})


def _start_registration(request, form, consents):
    data, tenant = form.cleaned_data, request.tenant
    accepted = [document for document in consents if data.get(f"consent_{document.pk}")]
    common = {"tenant": tenant, "client": client_info(request), "consents": accepted}
    if tenant.policy.login_kind == "contract":
        return services.registration_start_by_contract(
            inn=data["inn"], contract_number=data["contract_number"], contact=form.contact,
            password=data["password"], **common,
        )
    email, phone = data.get("email", ""), data.get("phone", "")
    if tenant.policy.login_kind == "phone_or_email":
        kind, value = form.login_contact
        email, phone = (value, "") if kind == "email" else ("", value)
    return services.registration_start(
        email=email, phone=phone, password=data.get("password") or "",
        last_name=data.get("last_name", ""), first_name=data.get("first_name", ""),
        middle_name=data.get("middle_name", ""), **common,
    )


@tenant_required
def signup_step(request):
    user = pending_user(request)
    if user is None:
        messages.error(request, "Сеанс регистрации истёк или не начат. Зарегистрируйтесь заново.")
        return redirect("accounts:signup")
    step = services.registration_next_step(user)
    if step is None:
        return redirect("accounts:signup_done")
    if step == services.PASSWORD:
        return _signup_password(request, user)
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        if limited(request, "confirm", rate="10/m"):
            form.add_error(None, TOO_MANY)
        elif form.is_valid():
            try:
                services.registration_confirm_code(user=user, code=form.cleaned_data["code"])
            except ConfirmationError as error:
                form.add_error("code", error.message)
            else:
                return redirect("accounts:signup_step")
    return render(request, "accounts/signup_step.html", _step_context(user, step, form))


def _step_context(user, step, form):
    purpose = Confirmation.Purpose.SIGNUP_PHONE if step == services.PHONE_CODE else Confirmation.Purpose.SIGNUP_EMAIL
    policy = user.tenant.policy
    return {
        "step": step,
        "form": form,
        "destination": mask_phone(user.phone) if step == services.PHONE_CODE else user.email,
        "shows_code": step != services.EMAIL_LINK or policy.email_confirmation == "link_and_code",
        "resend_in": seconds_until_resend(user=user, purpose=purpose),
        "code_minutes": max(1, policy.code_ttl_seconds // 60),
        "window_hours": policy.activation_window_hours,
        "deletes": policy.delete_unactivated,
    }


def _signup_password(request, user):
    form = NewPasswordForm(request.POST or None, tenant=request.tenant, user=user)
    if request.method == "POST" and form.is_valid() and form.cleaned_data["password"]:
        services.registration_set_password(user=user, password=form.cleaned_data["password"])
        return redirect("accounts:signup_step")
    return render(request, "accounts/signup_password.html", {"form": form})


@tenant_required
@require_POST
def signup_resend(request):
    user = pending_user(request)
    if user is None:
        return redirect("accounts:signup")
    try:
        services.registration_send(user=user)
    except TooManyMessages:
        messages.error(request, TOO_MANY_CODES)
    except ResendTooSoon as wait:
        messages.error(request, f"Отправить код ещё раз можно через {wait.seconds_left} с.")
    else:
        messages.success(request, "Мы отправили новый код.")
    return redirect("accounts:signup_step")


@tenant_required
def signup_done(request):
    user = pending_user(request)
    if user is None or services.registration_next_step(user) is not None:
        return redirect("accounts:signup")
    show_login = request.session.pop(SHOW_LOGIN_SESSION_KEY, False)
    request.session.pop(SIGNUP_SESSION_KEY, None)
    return render(request, "accounts/signup_done.html", {"login": user.username if show_login else None,
                                                          "signed_in": False})


@tenant_required
def activate(request, key):
    """The e-mailed link. GET only shows a button (mail scanners follow links); POST uses it."""
    try:
        confirmation = find_by_key(key=key, purpose=Confirmation.Purpose.SIGNUP_EMAIL)
    except ConfirmationError as error:
        return render(request, "accounts/activate.html", {"error": error.message}, status=400)
    if request.method == "POST":
        try:
            services.registration_confirm_link(key=key)
        except ConfirmationError as error:
            return render(request, "accounts/activate.html", {"error": error.message}, status=400)
        if request.session.get(SIGNUP_SESSION_KEY) == confirmation.user_id:
            request.session.pop(SIGNUP_SESSION_KEY, None)
        if request.user.is_authenticated:
            messages.success(request, "Личный кабинет активирован.")
            return redirect("portal:home")
        messages.success(request, "Личный кабинет активирован. Войдите с вашим логином и паролем.")
        return redirect("account_login")
    return render(request, "accounts/activate.html", {"email": confirmation.user.email})


@login_required
@require_POST
def activation_resend(request):
    """«Выслать ссылку»: a logged-in, not yet confirmed user asks for the link again."""
    user = request.user
    if services.registration_next_step(user) not in (services.EMAIL_LINK, services.EMAIL_CODE):
        return redirect("portal:home")
    try:
        services.registration_send(user=user)
    except ResendTooSoon as wait:
        messages.error(request, f"Письмо уже отправлено. Повторить можно через {wait.seconds_left} с.")
    else:
        messages.success(request, f"Мы отправили ссылку для подтверждения на {user.email}.")
    return redirect("portal:home")


@tenant_required
def signup_continue(request):
    """A customer registered by staff enters the one-time password from the SMS."""
    form = StaffContinueForm(request.POST or None)
    if request.method == "POST":
        if limited(request, "continue", rate="10/m"):
            form.add_error(None, TOO_MANY)
        elif form.is_valid():
            user = User.objects.filter(phone=form.cleaned_data["phone"], activation_deadline__isnull=False).first()
            try:
                if user is None or services.registration_next_step(user) != services.PHONE_CODE:
                    raise ConfirmationError("Неверный телефон или код.")
                services.registration_confirm_code(user=user, code=form.cleaned_data["code"])
            except ConfirmationError as error:
                form.add_error("code", error.message)
            else:
                request.session.cycle_key()
                request.session[SIGNUP_SESSION_KEY] = user.pk
                return redirect("accounts:signup_step")
    return render(request, "accounts/signup_continue.html", {"form": form})


# Recovery


@tenant_required
def password_reset(request):
    tenant = request.tenant
    by_contract = tenant.policy.login_kind == "contract"
    form_class = ContractRecoveryForm if by_contract else RecoveryForm
    form = form_class(request.POST or None, tenant=tenant)
    if request.method == "POST":
        per_login = per_tenant_field("inn" if by_contract else "login")
        if limited(request, "reset", rate="5/m") or limited(request, "reset-login", rate="5/h", key=per_login):
            form.add_error(None, TOO_MANY)
        elif form.is_valid() and by_contract and form.cleaned_data.get("password"):
            data = form.cleaned_data
            try:
                user, password_hash = services.recovery_start_by_contract(
                    tenant=tenant, inn=data["inn"], contract_number=data["contract_number"],
                    contact=form.contact, password=data["password"],
                )
            except (services.RegistrationError, ResendTooSoon) as error:
                form.add_error(None, getattr(error, "message", "Код уже отправлен. Подождите минуту."))
            else:
                request.session[RESET_SESSION_KEY] = user.pk
                request.session[RESET_PASSWORD_SESSION_KEY] = password_hash
                return redirect("accounts:password_reset_code")
        elif form.is_valid() and not by_contract:
            login = form.cleaned_data["login"]
            services.recovery_request(tenant=tenant, login=login)
            user = services.user_by_login(tenant=tenant, login=login)
            request.session[RESET_SESSION_KEY] = user.pk if user else None
            request.session.pop(RESET_PASSWORD_SESSION_KEY, None)
            return redirect("accounts:password_reset_code")
    return render(request, "accounts/password_reset.html", {"form": form, "by_contract": by_contract})


@tenant_required
def password_reset_code(request):
    """Enter the code (and, unless given with the contract form, the new password).

    The page is the same whether the login exists: an unknown one just never matches."""
    if RESET_SESSION_KEY not in request.session:
        return redirect("accounts:password_reset")
    user = User.objects.filter(pk=request.session[RESET_SESSION_KEY]).first() if request.session[RESET_SESSION_KEY] else None
    password_hash = request.session.get(RESET_PASSWORD_SESSION_KEY)
    form = CodeForm(request.POST or None) if password_hash else NewPasswordForm(
        request.POST or None, tenant=request.tenant, user=user, with_code=True
    )
    if request.method == "POST":
        if limited(request, "reset-code", rate="10/m"):
            form.add_error(None, TOO_MANY)
        elif form.is_valid():
            try:
                if user is None:
                    raise ConfirmationError("Неверный код.")
                if password_hash:
                    check_code(user=user, purpose=Confirmation.Purpose.PASSWORD_RESET, code=form.cleaned_data["code"])
                    services.password_reset_complete(user=user, password_hash=password_hash)
                elif form.cleaned_data.get("password"):
                    services.recovery_by_code(user=user, code=form.cleaned_data["code"], password=form.cleaned_data["password"])
                else:
                    raise ConfirmationError("Задайте новый пароль.")
            except ConfirmationError as error:
                form.add_error("code", error.message)
            else:
                request.session.pop(RESET_SESSION_KEY, None)
                request.session.pop(RESET_PASSWORD_SESSION_KEY, None)
                messages.success(request, "Пароль изменён. Войдите с новым паролем.")
                return redirect("account_login")
    return render(request, "accounts/password_reset_code.html", {"form": form})


@tenant_required
def password_reset_key(request, key):
    try:
        confirmation = find_by_key(key=key, purpose=Confirmation.Purpose.PASSWORD_RESET)
    except ConfirmationError as error:
        return render(request, "accounts/password_reset_key.html", {"error": error.message}, status=400)
    form = NewPasswordForm(request.POST or None, tenant=request.tenant, user=confirmation.user)
    if request.method == "POST" and form.is_valid() and form.cleaned_data["password"]:
        try:
            services.recovery_by_key(key=key, password=form.cleaned_data["password"])
        except ConfirmationError as error:
            return render(request, "accounts/password_reset_key.html", {"error": error.message}, status=400)
        messages.success(request, "Пароль изменён. Войдите с новым паролем.")
        return redirect("account_login")
    return render(request, "accounts/password_reset_key.html", {"form": form})


# Consents


@login_required
def consents(request):
    user = request.user
    pending = services.consents_pending(user=user)
    if request.method == "POST" and "sign" in request.POST:
        signed = [doc for doc in pending if request.POST.get(f"consent_{doc.pk}")]
        if len(signed) < len(pending):
            messages.error(request, "Чтобы продолжить, подтвердите согласие.")
        else:
            services.consents_record(user=user, documents=signed, client=client_info(request))
            messages.success(request, "Спасибо! Согласие подписано.")
            return redirect("portal:home")
    elif request.method == "POST" and "withdraw" in request.POST:
        if services.consent_withdraw(user=user, acceptance_id=request.POST.get("withdraw")):
            messages.success(request, "Согласие отозвано.")
        return redirect("accounts:consents")
    accepted = ConsentAcceptance.objects.filter(user=user).select_related("document")
    return render(request, "accounts/consents.html", {"pending": pending, "accepted": accepted})
