"""The captcha field every form uses (django-simple-captcha), made single-use under races.

The library reads the stored answer and deletes it afterwards, so two requests sent at once
with one solved captcha both pass. Here the answer is used up by the one DELETE that matches
it: of requests racing with the same captcha, exactly one deletes the row and passes."""

from captcha.conf import settings as captcha_settings
from captcha.fields import CaptchaField
from captcha.models import CaptchaStore
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SingleUseCaptchaField(CaptchaField):
    def clean(self, value):
        response = ((value or ["", ""])[1] or "").strip().lower()
        if captcha_settings.CAPTCHA_TEST_MODE and response == "passed":
            return super().clean(value)
        forms.MultiValueField.clean(self, value)  # required, and the two parts present
        hashkey = value[0]
        used, _counts = CaptchaStore.objects.filter(hashkey=hashkey, response=response,
                                                    expiration__gt=timezone.now()).delete()
        if used != 1:
            CaptchaStore.objects.filter(hashkey=hashkey).delete()  # one try per captcha, right or wrong
            raise ValidationError(self.error_messages.get("invalid", _("Invalid CAPTCHA")), code="invalid")
        value[1] = ""
        return value
