from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Subscription


class SubscriptionForm(forms.ModelForm):
    class Meta:
        model = Subscription
        fields = ["reading_reminders", "invoice_notices", "by_email", "by_sms"]
        labels = {
            "reading_reminders": _("Напоминать о передаче показаний (когда открывается приём и за два дня до его конца, если показания не переданы)"),
            "invoice_notices": _("Сообщать о новом счёте"),
            "by_email": _("По e-mail"),
            "by_sms": _("По SMS"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The page says under each channel where it goes (or why nothing does).
        for name in ("by_email", "by_sms"):
            self.fields[name].widget.attrs["aria-describedby"] = f"id_{name}_helptext"
