from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from portal.admin import TenantOwnedAdmin, on_platform_host

from .models import User


class UserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ["tenant", "username"]


class UserEditForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User


@admin.register(User)
class UserAdmin(TenantOwnedAdmin, DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    list_display = ["username", "email", "phone", "last_name", "first_name", "is_active", "is_staff", "date_joined"]
    search_fields = ["username", "email", "phone", "last_name", "first_name"]
    fieldsets = [
        (None, {"fields": ["tenant", "username", "password"]}),
        (_("Личные данные"), {"fields": ["last_name", "first_name", "middle_name", "email", "phone"]}),
        (_("Права"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Даты"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["tenant", "username", "usable_password", "password1", "password2"]}),
    ]
    # Granting rights is for platform superusers: tenant staff cannot raise anyone's
    # (or their own) privileges, nor move a user to another tenant.
    privilege_fields = ["is_staff", "is_superuser", "groups", "user_permissions"]

    def get_readonly_fields(self, request, obj=None):
        readonly = [*super().get_readonly_fields(request, obj), "last_login", "date_joined"]
        if not request.user.is_superuser:
            readonly += self.privilege_fields
        if obj is not None:
            readonly.append("tenant")
        return readonly
