"""Account forms. The signup form is built from the tenant's policy: its fields, password
rule, captcha and consent checkboxes are data, not code per tenant."""

from allauth.account.forms import ChangePasswordForm as AllauthChangePasswordForm
from allauth.account.forms import LoginForm as AllauthLoginForm
from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.ru import inn as inn_number

from portal.captcha import SingleUseCaptchaField
from portal.models import TenantPolicy

from .contacts import Contact
from .models import User, normalize_email
from .passwords import describe_password_rule
from portal.phones import normalize_phone

LoginKind = TenantPolicy.LoginKind
LOGIN_LABELS = {
    LoginKind.EMAIL: _("E-mail"), LoginKind.PHONE_OR_EMAIL: _("Телефон или e-mail"), LoginKind.CONTRACT: _("Логин"),
}
MAX_NAME = 150
REPEAT_PASSWORD = _("Повторите пароль")  # one label for the repeat, on every form


class LoginForm(AllauthLoginForm):
    """allauth's login form with the tenant's wording."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kind = self.request.tenant.policy.login_kind if self.request and self.request.tenant else LoginKind.CONTRACT
        self.fields["login"].label = LOGIN_LABELS[kind]
        if kind == LoginKind.CONTRACT:
            self.fields["login"].help_text = _("Логин — ИНН и номер договора через дефис, например 6229001125-1001.")
        self.fields["password"].label = _("Пароль")
        self.fields["password"].help_text = ""
        drop_placeholders(self)


def drop_placeholders(form):
    """allauth's placeholders repeat the labels, and at 360 px they were cut off."""
    for field in form.fields.values():
        field.widget.attrs.pop("placeholder", None)


class ChangePasswordForm(AllauthChangePasswordForm):
    """allauth's password change with the portal's words: the tenant's rule as the hint, one
    label for the repeat, and a wrong current password called wrong."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tenant = getattr(self.user, "tenant", None)
        self.fields["oldpassword"].label = _("Текущий пароль")
        self.fields["oldpassword"].help_text = ""
        self.fields["password1"].label = _("Новый пароль")
        self.fields["password1"].help_text = describe_password_rule(tenant.policy if tenant else None)
        self.fields["password2"].label = REPEAT_PASSWORD
        drop_placeholders(self)

    def clean_oldpassword(self):
        if not self.user.check_password(self.cleaned_data.get("oldpassword", "")):
            raise ValidationError(_("Текущий пароль введён неверно."), code="wrong_current_password")
        return self.cleaned_data["oldpassword"]


def password_fields(form, policy, *, first="password1", second="password2", first_label=_("Пароль")):
    rule = describe_password_rule(policy)
    form.fields[first] = forms.CharField(
        label=first_label, help_text=rule, max_length=128, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    form.fields[second] = forms.CharField(
        label=REPEAT_PASSWORD, max_length=128, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


def clean_new_password(form, tenant, *, first="password1", second="password2", user=None):
    password, repeat = form.cleaned_data.get(first), form.cleaned_data.get(second)
    if password and repeat and password != repeat:
        form.add_error(second, _("Пароли не совпадают."))
        return None
    if password:
        try:
            validate_password(password, user=user or User(tenant=tenant))
        except ValidationError as error:
            form.add_error(first, error)
            return None
    return password


def add_consent_fields(form, documents):
    """A checkbox per consent document (required ones must be ticked), and the helpers the
    templates use to show them apart from the other fields."""
    form.consents = documents
    for document in documents:
        form.fields[f"consent_{document.pk}"] = forms.BooleanField(
            label=document.checkbox_label, required=document.required,
            error_messages={"required": _("Без этого согласия регистрация невозможна.")},
        )


class ConsentFieldsMixin:
    def consent_fields(self):
        return [(self[f"consent_{document.pk}"], document) for document in self.consents]

    def regular_fields(self):
        return [field for field in self if not field.name.startswith("consent_")]

    def accepted_consents(self):
        return [document for document in self.consents if self.cleaned_data.get(f"consent_{document.pk}")]


class ConsentsForm(ConsentFieldsMixin, forms.Form):
    """The signup consents, asked of a customer whom staff registered (guide 001)."""

    def __init__(self, *args, consents, **kwargs):
        super().__init__(*args, **kwargs)
        add_consent_fields(self, consents)


class SignupForm(ConsentFieldsMixin, forms.Form):
    def __init__(self, *args, tenant, consents, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant, self.policy = tenant, tenant.policy
        policy = self.policy
        if policy.registers_by_contract:
            self.fields["inn"] = forms.CharField(label=_("ИНН"), max_length=12, widget=forms.TextInput(attrs={"inputmode": "numeric"}))
            self.fields["contract_number"] = forms.CharField(label=_("№ договора"), max_length=50)
        if policy.asks_full_name:
            required = policy.requires_full_name
            self.fields["last_name"] = forms.CharField(label=_("Фамилия"), max_length=MAX_NAME, required=required)
            self.fields["first_name"] = forms.CharField(label=_("Имя"), max_length=MAX_NAME, required=required)
            self.fields["middle_name"] = forms.CharField(label=_("Отчество"), max_length=MAX_NAME, required=False)
        if policy.login_is_phone_or_email:
            self.fields["login"] = forms.CharField(
                label=_("Логин (телефон или e-mail)"), max_length=254,
                widget=forms.TextInput(attrs={"autocomplete": "username"}),
            )
        if policy.asks_email:
            self.fields["email"] = forms.EmailField(
                label=_("E-mail (логин)") if policy.login_is_email else _("E-mail"), max_length=254,
                required=policy.requires_email,
                widget=forms.EmailInput(attrs={"autocomplete": "email"}),
            )
        if policy.asks_phone:
            self.fields["phone"] = forms.CharField(
                label=_("Телефон"), max_length=32, required=policy.requires_phone,
                widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
                help_text=_("Например, +7 900 123-45-67"),
            )
        if policy.password_at_signup:
            password_fields(self, policy)
        if policy.registers_by_contract:
            self.fields["contact"] = forms.CharField(
                label=_("E-mail или телефон, указанные в договоре"), max_length=254,
                help_text=_("На него придёт код подтверждения."),
            )
        if policy.signup_captcha:
            self.fields["captcha"] = SingleUseCaptchaField(label=_("Введите текст с картинки"))
        add_consent_fields(self, consents)

    def clean_inn(self):
        value = self.cleaned_data["inn"].strip()
        try:
            return inn_number.validate(value)
        except StdnumError:
            raise ValidationError(_("ИНН указан неверно: проверьте цифры.")) from None

    def clean_phone(self):
        value = self.cleaned_data.get("phone", "").strip()
        return normalize_phone(value) if value else ""

    def clean_email(self):
        return normalize_email(self.cleaned_data.get("email", ""))

    def clean_login(self):
        self.login_contact = Contact.parse(self.cleaned_data["login"])
        return self.login_contact.value

    def clean_contact(self):
        try:
            self.contact = Contact.parse(self.cleaned_data["contact"])
        except ValidationError:
            raise ValidationError(_("Укажите e-mail или номер телефона из договора.")) from None
        return self.contact.value

    def clean(self):
        cleaned = super().clean()
        if self.policy.password_at_signup:
            cleaned["password"] = clean_new_password(self, self.tenant)
        return cleaned


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Код подтверждения"), max_length=8, min_length=4,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"}),
    )

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if not code.isdigit():
            raise ValidationError(_("Код состоит только из цифр."))
        return code


class NewPasswordForm(forms.Form):
    def __init__(self, *args, tenant, user=None, with_code=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant, self.user = tenant, user
        if with_code:
            self.fields["code"] = CodeForm.base_fields["code"]
        password_fields(self, tenant.policy, first_label=_("Новый пароль"))

    def clean_code(self):
        return CodeForm.clean_code(self)

    def clean(self):
        cleaned = super().clean()
        cleaned["password"] = clean_new_password(self, self.tenant, user=self.user)
        return cleaned


class RecoveryForm(forms.Form):
    login = forms.CharField(label=_("Логин"), max_length=254)

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"].label = LOGIN_LABELS[tenant.policy.login_kind]


class ContractRecoveryForm(SignupForm):
    """Guide 000: recovery asks what registration asked, with the new password."""

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, tenant=tenant, consents=[], **kwargs)
        self.fields.pop("captcha", None)
        self.fields["password1"].label = _("Новый пароль")


class StaffContinueForm(CodeForm):
    """A customer registered by staff: the phone and the one-time password from the SMS."""

    phone = forms.CharField(label=_("Телефон"), max_length=32, widget=forms.TextInput(attrs={"autocomplete": "tel"}))
    field_order = ["phone", "code"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].label = _("Код из SMS")

    def clean_phone(self):
        return normalize_phone(self.cleaned_data["phone"])


# «Мой профиль»


class ProfileNamesForm(forms.Form):
    """Surname, name and patronymic; required where the tenant's signup requires them."""

    last_name = forms.CharField(label=_("Фамилия"), max_length=MAX_NAME, required=False)
    first_name = forms.CharField(label=_("Имя"), max_length=MAX_NAME, required=False)
    middle_name = forms.CharField(label=_("Отчество"), max_length=MAX_NAME, required=False)

    def __init__(self, *args, policy, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("last_name", "first_name"):
            self.fields[name].required = policy.requires_full_name


class CurrentPasswordForm(forms.Form):
    """A change of a login contact asks for the password, as a change of the password does:
    a session left open (or stolen) must not be enough to move the account's recovery to
    someone else's phone or address."""

    WRONG_PASSWORD = "wrong_password"
    current_password = forms.CharField(
        label=_("Текущий пароль"), max_length=128, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    id_prefix = ""  # both forms share one page: their fields' ids must differ

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("auto_id", f"id_{self.id_prefix}%s")
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_current_password(self):
        password = self.cleaned_data["current_password"]
        if not self.user.check_password(password):
            raise ValidationError(_("Пароль введён неверно."), code=self.WRONG_PASSWORD)
        return password


class PhoneChangeForm(CurrentPasswordForm):
    id_prefix = "phone_change_"
    field_order = ["phone", "current_password"]
    phone = forms.CharField(
        label=_("Новый телефон"), max_length=32, help_text=_("Например, +7 900 123-45-67. На него придёт код."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def clean_phone(self):
        phone = normalize_phone(self.cleaned_data["phone"])
        if phone == self.user.phone:
            raise ValidationError(_("Этот номер уже указан в вашем профиле."))
        return phone


class EmailChangeForm(CurrentPasswordForm):
    id_prefix = "email_change_"
    field_order = ["email", "current_password"]
    email = forms.EmailField(
        label=_("Новый e-mail"), max_length=254, help_text=_("На него придёт письмо со ссылкой для подтверждения."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean_email(self):
        email = normalize_email(self.cleaned_data["email"])
        if email == self.user.email:
            raise ValidationError(_("Этот e-mail уже указан в вашем профиле."))
        return email
