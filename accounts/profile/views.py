"""«Мой профиль»: the settings hub's pages (the rules are in ``services``): the person's names,
a new phone proven by SMS code, a new e-mail proven by a link."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from portal.pages import tenant_page
from portal.phones import mask_phone
from portal.ratelimits import by_user, limited, reserve_failure

from .. import services
from ..confirmations import ConfirmationError, ResendTooSoon, TooManyMessages, seconds_until_resend
from ..forms import CodeForm, EmailChangeForm, PhoneChangeForm, ProfileNamesForm
from ..views import TOO_MANY, TOO_MANY_CODES
from . import services as profile_rules


def _resend_refusal(wait):
    if isinstance(wait, TooManyMessages):
        return TOO_MANY_CODES
    return _("Отправить код или письмо ещё раз можно через %(seconds)s с.") % {"seconds": wait.seconds_left}


def _live(confirmation, expires_field):
    expires = getattr(confirmation, expires_field) if confirmation else None
    return confirmation if expires and expires > timezone.now() else None


def _profile_page(request, *, names_form=None, phone_form=None, email_form=None):
    user, policy = request.user, request.tenant.policy
    pending_phone = _live(profile_rules.pending_change(user=user, purpose=profile_rules.CHANGE_PHONE), "code_expires_at")
    pending_email = _live(profile_rules.pending_change(user=user, purpose=profile_rules.CHANGE_EMAIL), "key_expires_at")
    initial = {"last_name": user.last_name, "first_name": user.first_name, "middle_name": user.middle_name}
    return render(request, "accounts/profile.html", {
        "names_form": names_form or ProfileNamesForm(initial=initial, policy=policy),
        "phone_form": phone_form or PhoneChangeForm(user=user),
        "email_form": email_form or EmailChangeForm(user=user),
        "pending_phone": mask_phone(pending_phone.destination) if pending_phone else None,
        "pending_email": pending_email.destination if pending_email else None,
        "generated_login": user.username if user.login_is_generated else None,
    })


@tenant_page
def profile(request):
    """«Мой профиль»: the name form here; the phone and e-mail forms post to their own URLs."""
    if request.method != "POST":
        return _profile_page(request)
    form = ProfileNamesForm(request.POST, policy=request.tenant.policy)
    if refused := limited(request, "accounts.profile", rate=services.PROFILE_CHANGES_PER_MINUTE, key=by_user):
        form.add_error(None, refused.text(TOO_MANY))
    elif form.is_valid():
        profile_rules.names_update(user=request.user, **form.cleaned_data)
        messages.success(request, _("Данные сохранены."))
        return redirect("accounts:profile")
    return _profile_page(request, names_form=form)


def _contact_form_valid(request, form):
    """A new phone's or e-mail's form, within its rate and with the right current password.
    Each try is counted as a failure before the password is checked and forgiven when it is
    right (portal.ratelimits.reserve_failure): guesses sent at once stop at the limit."""
    reservation = reserve_failure(request, "accounts.profile-password", rate=services.PROFILE_PASSWORD_FAILURES, key=by_user)
    if reservation.refused:
        form.add_error(None, reservation.text(_("Слишком много неверных паролей. Попробуйте через час.")))
        return False
    if refused := limited(request, "accounts.profile-contact", rate=services.CONTACT_CHANGES_PER_MINUTE, key=by_user):
        reservation.forgive()
        form.add_error(None, refused.text(TOO_MANY))
        return False
    valid = form.is_valid()
    if not form.has_error("current_password", code=form.WRONG_PASSWORD):
        reservation.forgive()  # right, or no password typed at all
    return valid


@tenant_page
@require_POST
def profile_phone(request):
    form = PhoneChangeForm(request.POST, user=request.user)
    if _contact_form_valid(request, form):
        try:
            profile_rules.phone_change_start(user=request.user, phone=form.cleaned_data["phone"])
        except ResendTooSoon as wait:
            form.add_error(None, _resend_refusal(wait))
        else:
            return redirect("accounts:profile_phone_confirm")
    return _profile_page(request, phone_form=form)


@tenant_page
def profile_phone_confirm(request):
    """The code sent to the new phone. A number that is someone else's gets the same page
    (its code matches nothing: accounts/profile/services.py)."""
    user = request.user
    pending = profile_rules.pending_change(user=user, purpose=profile_rules.CHANGE_PHONE)
    if pending is None:
        return redirect("accounts:profile")
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        if refused := limited(request, "accounts.profile-code", rate=services.CODE_TRIES_PER_MINUTE, key=by_user):
            form.add_error(None, refused.text(TOO_MANY))
        elif form.is_valid():
            old_login = user.username
            try:
                profile_rules.phone_change_confirm(user=user, code=form.cleaned_data["code"])
            except profile_rules.ContactTaken as error:
                form.add_error(None, error.message)
            except ConfirmationError as error:
                form.add_error("code", error.message)
            else:
                messages.success(request, _contact_changed(_("Телефон изменён."), user, old_login))
                return redirect("accounts:profile")
    return render(request, "accounts/profile_phone_confirm.html", {
        "form": form, "destination": mask_phone(pending.destination),
        "resend_in": seconds_until_resend(user=user, purpose=profile_rules.CHANGE_PHONE),
        "code_minutes": request.tenant.policy.code_ttl_minutes,
    })


def _contact_changed(done, user, old_login):
    if user.username == old_login:
        return done
    return _("%(done)s Теперь входите с ним: %(login)s.") % {"done": done, "login": user.username}


@tenant_page
@require_POST
def profile_phone_resend(request):
    if refused := limited(request, "accounts.resend", rate=services.RESENDS_PER_MINUTE, key=by_user):
        messages.error(request, refused.text(TOO_MANY))
        return redirect("accounts:profile_phone_confirm")
    try:
        profile_rules.phone_change_resend(user=request.user)
    except ConfirmationError:
        return redirect("accounts:profile")
    except ResendTooSoon as wait:
        messages.error(request, _resend_refusal(wait))
    else:
        messages.success(request, _("Мы отправили новый код."))
    return redirect("accounts:profile_phone_confirm")


@tenant_page
@require_POST
def profile_email(request):
    form = EmailChangeForm(request.POST, user=request.user)
    if _contact_form_valid(request, form):
        email = form.cleaned_data["email"]
        try:
            profile_rules.email_change_start(user=request.user, email=email)
        except ResendTooSoon as wait:
            form.add_error(None, _resend_refusal(wait))
        else:
            messages.success(request, _("Мы отправили письмо на %(email)s. Перейдите по ссылке из него, чтобы "
                                        "подтвердить новый адрес.") % {"email": email})
            return redirect("accounts:profile")
    return _profile_page(request, email_form=form)


@tenant_page(signed_in=False)
def profile_email_confirm(request, key):
    """The link mailed to the new address. It works without signing in: the key names the
    user it was issued for and proves the address (docs/accounts.md, «Profile»). GET only
    shows a button (mail scanners follow links); POST uses it, once."""
    template = "accounts/profile_email_confirm.html"
    try:
        if request.method != "POST":
            confirmation = profile_rules.email_change_link(key=key)
            return render(request, template, {"email": confirmation.destination})
        if refused := limited(request, "accounts.profile-link", rate=services.CODE_TRIES_PER_MINUTE):
            return render(request, template, {"error": refused.text(TOO_MANY)}, status=429)
        old_login = request.user.username if request.user.is_authenticated else None
        user = profile_rules.email_change_confirm(key=key)
    except ConfirmationError as error:
        return render(request, template, {"error": error.message}, status=400)
    if request.user.is_authenticated and request.user.pk == user.pk:
        messages.success(request, _contact_changed(_("E-mail подтверждён и изменён."), user, old_login))
        return redirect("accounts:profile")
    return render(request, template, {"done": user.email})
