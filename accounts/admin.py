from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied
from django.db.models import DateTimeField
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from allauth.account import admin as allauth_admin
from portal import roles
from portal.admin import TenantOwnedAdmin, on_platform_host
from portal.hosts import tenant_base_url
from portal.phones import normalize_phone

from . import registration, services, staff_edits
from .confirmations import ResendTooSoon
from .models import ConsentAcceptance, User, normalize_email


class UserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ["tenant", "username"]


class UserEditForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User


class StaffPasswordForm(AdminPasswordChangeForm):
    """The admin's «set password» form: a password staff set, reset or disable is on the
    trail and told to the person (accounts.staff_edits)."""

    def save(self, commit=True):
        was_set = self.user.has_usable_password()
        user = super().save(commit)
        if commit:
            staff_edits.password_set_by_staff(user=user, was_set=was_set)
        return user


# E-mails live on our User (with email_verified); allauth's EmailAddress table stays empty,
# so its admin would only be a platform-wide page without tenant rules.
admin.site.unregister(allauth_admin.EmailAddress)


class CustomerRegistrationForm(forms.Form):
    """Guide 001: staff register an account on a customer's behalf."""

    last_name = forms.CharField(label=_("Фамилия"), max_length=150)
    first_name = forms.CharField(label=_("Имя"), max_length=150)
    middle_name = forms.CharField(label=_("Отчество"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail (логин)"), max_length=254)
    phone = forms.CharField(label=_("Мобильный телефон"), max_length=32)

    def clean_email(self):
        email = normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email=email).exists():  # stored in lower case, indexed
            raise forms.ValidationError(_("Пользователь с таким e-mail уже есть."))
        return email

    def clean_phone(self):
        phone = normalize_phone(self.cleaned_data["phone"])
        if User.objects.filter(phone=phone).exists():
            raise forms.ValidationError(_("Пользователь с таким телефоном уже есть."))
        return phone


class ConsentAcceptanceInline(admin.TabularInline):
    model = ConsentAcceptance
    extra = 0
    can_delete = False
    fields = ["document", "accepted_at", "ip_address", "user_agent", "withdrawn_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(TenantOwnedAdmin, DjangoUserAdmin):
    """Users, of whom each staff member reaches only those below them (portal.roles): the
    list, every page of one user (change, password, history, delete) and every action see
    only those, so the others answer like missing ones."""

    accusative = _("пользователя")

    form = UserEditForm
    add_form = UserCreationForm
    change_password_form = StaffPasswordForm
    list_display = ["username", "email", "phone", "last_name", "first_name", "is_active", "is_staff", "date_joined"]
    inlines = [ConsentAcceptanceInline]
    change_list_template = "admin/accounts/user/change_list.html"
    search_fields = ["username", "email", "phone", "last_name", "first_name"]
    fieldsets = [
        (None, {"fields": ["tenant", "username", "password"]}),
        (_("Личные данные"), {"fields": ["last_name", "first_name", "middle_name", "email", "email_verified",
                                          "phone", "phone_verified"]}),
        (_("Активация"), {"fields": ["activation_deadline", "login_is_generated"]}),
        (_("Права"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Даты"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["tenant", "username", "usable_password", "password1", "password2"]}),
    ]
    # Granting rights is for platform superusers: tenant staff cannot raise anyone's
    # (or their own) privileges, nor move a user to another tenant.
    privilege_fields = ["is_staff", "is_superuser", "groups", "user_permissions"]
    actions = ["send_new_staff_code"]

    def get_queryset(self, request):
        return roles.changeable_by(request.user, super().get_queryset(request))

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or roles.may_change(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or roles.may_change(request.user, obj))

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:
            staff_edits.user_changed_by_staff(user=obj, before=form.initial)

    def get_form(self, request, obj=None, **kwargs):
        if not on_platform_host(request):
            # The model's hint is about platform superusers, whom tenant staff never see.
            kwargs["help_texts"] = {**kwargs.get("help_texts", {}), "tenant": ""}
        return super().get_form(request, obj, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        widget = getattr(formfield, "widget", None)
        if isinstance(widget, forms.MultiWidget) and len(widget.widgets) == 2 and isinstance(db_field, DateTimeField):
            # The admin's date and time inputs share one legend; each gets its own name.
            date, time = widget.widgets
            date.attrs["aria-label"] = _("%(field)s: дата") % {"field": capfirst(db_field.verbose_name)}
            time.attrs["aria-label"] = _("%(field)s: время") % {"field": capfirst(db_field.verbose_name)}
        return formfield

    def get_actions(self, request):
        actions = super().get_actions(request)
        if on_platform_host(request) or not request.tenant.policy.registers_customers_by_staff:
            actions.pop("send_new_staff_code", None)
        return actions

    @admin.action(description=_("Отправить новый код из SMS клиентам, зарегистрированным сотрудником"),
                  permissions=["change"])
    def send_new_staff_code(self, request, queryset):
        """The way forward for a customer whose SMS code expired (guide 001)."""
        sent, waiting = [], []
        for user in queryset.filter(registered_by_staff=True, activation_deadline__isnull=False):
            if registration.registration_next_step(user) != services.PHONE_CODE:
                continue
            try:
                registration.registration_send(user=user)
            except ResendTooSoon:
                waiting.append(user.phone)
            else:
                sent.append(user.phone)
        if sent:
            self.message_user(request, _("Новый код отправлен по SMS: %(phones)s.") % {"phones": ", ".join(sent)})
        if waiting:
            self.message_user(request, _("Код недавно отправлен, повторить пока нельзя: %(phones)s.")
                              % {"phones": ", ".join(waiting)}, messages.WARNING)
        if not sent and not waiting:
            self.message_user(request, _("Среди выбранных нет клиентов, ожидающих код из SMS."), messages.WARNING)

    def get_readonly_fields(self, request, obj=None):
        readonly = [*super().get_readonly_fields(request, obj), "last_login", "date_joined"]
        if not request.user.is_superuser:
            readonly += self.privilege_fields
        if obj is not None:
            readonly.append("tenant")
        return readonly

    def get_urls(self):
        register = self.admin_site.admin_view(self.register_customer_view)
        registered = self.admin_site.admin_view(self.registered_customer_view)
        return [path("register-customer/", register, name="accounts_user_register_customer"),
                path("register-customer/<int:user_id>/", registered, name="accounts_user_registered_customer"),
                *super().get_urls()]

    def register_customer_view(self, request):
        if on_platform_host(request) or not self.has_add_permission(request):
            raise PermissionDenied
        if not request.tenant.policy.registers_customers_by_staff:
            raise Http404
        form = CustomerRegistrationForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                user = registration.registration_by_staff(tenant=request.tenant, **form.cleaned_data)
            except ResendTooSoon:
                form.add_error("phone", _("На этот телефон уже отправлено много кодов. Попробуйте через час."))
                return self._register_customer_page(request, form)
            self.log_addition(request, user, [{"added": {}}])
            return redirect("admin:accounts_user_registered_customer", user.pk)
        return self._register_customer_page(request, form)

    def registered_customer_view(self, request, user_id):
        """After «Зарегистрировать»: what the customer was sent and what they do next, with the
        step they are at now (the page can be opened again later: the user's card links here
        while the registration is not finished). Another tenant's user is a 404."""
        if on_platform_host(request) or not self.has_view_or_change_permission(request):
            raise PermissionDenied
        user = self.get_queryset(request).filter(pk=user_id, registered_by_staff=True).first()
        if user is None:
            raise Http404
        zone = request.tenant.zone
        continue_url = tenant_base_url(request.tenant) + reverse("accounts:signup_continue")
        step = registration.registration_next_step(user) if user.activation_deadline else None
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "customer": user,
            "title": _("Клиент зарегистрирован: что дальше"),
            "step": step, "steps": {"phone_code": services.PHONE_CODE, "consents": services.CONSENTS,
                                    "password": services.PASSWORD, "email_link": services.EMAIL_LINK,
                                    "email_code": services.EMAIL_CODE},
            "deadline": timezone.localtime(user.activation_deadline, zone) if user.activation_deadline else None,
            "registered_at": timezone.localtime(user.date_joined, zone),
            "continue_url": continue_url,
            # Breakable after each «/»: a phone-wide screen shows the address whole.
            "continue_shown": format_html_join(mark_safe("/<wbr>"), "{}", ((part,) for part in continue_url.split("/"))),
            "can_resend": step == services.PHONE_CODE and self.has_change_permission(request, user),
        }
        return TemplateResponse(request, "admin/accounts/user/registered_customer.html", context)

    def _register_customer_page(self, request, form):
        context = {**self.admin_site.each_context(request), "form": form, "opts": self.model._meta,
                   "title": _("Регистрация клиента")}
        return TemplateResponse(request, "admin/accounts/user/register_customer.html", context)
