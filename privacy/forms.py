"""The deletion request: the password typed again and an optional reason."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import DeletionRequest

REASON_MAX_LENGTH = DeletionRequest._meta.get_field("reason").max_length


class DeletionRequestForm(forms.Form):
    password = forms.CharField(
        label=_("Пароль"), max_length=128, strip=False,
        help_text=_("Пароль от личного кабинета: так мы убедимся, что запрос подаёте вы."),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    reason = forms.CharField(
        label=_("Причина (необязательно)"), required=False, max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(_("Пароль введён неверно."), code="wrong_password")
        return password
