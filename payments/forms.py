from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Payment
from .services import MAX_AMOUNT, MIN_AMOUNT


class PayForm(forms.Form):
    """What to pay: the debt (its amount comes from the server, never from the form) or an
    amount the payer types. ``token`` makes the form's payment one, however often it is sent."""

    kind = forms.ChoiceField(label=_("Что оплатить"), choices=[(Payment.Kind.DEBT, _("Задолженность")),
                                                               (Payment.Kind.AMOUNT, _("Другую сумму"))],
                             widget=forms.RadioSelect)
    amount = forms.CharField(label=_("Сумма, ₽"), required=False, max_length=20,
                             widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
    token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, debt=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.debt = debt
        if not debt:
            self.fields["kind"].choices = [(Payment.Kind.AMOUNT, _("Сумму"))]
            self.fields["kind"].initial = Payment.Kind.AMOUNT

    def clean_amount(self):
        raw = self.cleaned_data["amount"].strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
        if self.data.get("kind") != Payment.Kind.AMOUNT:
            if raw:  # a typed amount under «Задолженность»: which one was meant?
                raise forms.ValidationError(_("Чтобы оплатить введённую сумму, выберите «Другую сумму»; "
                                              "чтобы оплатить задолженность, очистите поле."))
            return None
        if not raw:
            raise forms.ValidationError(_("Введите сумму."))
        try:
            amount = Decimal(raw)
        except InvalidOperation:
            raise forms.ValidationError(_("Введите сумму числом, например 1500 или 1500,50.")) from None
        if not amount.is_finite():
            raise forms.ValidationError(_("Введите сумму числом, например 1500 или 1500,50."))
        if amount.as_tuple().exponent < -2:
            raise forms.ValidationError(_("Не больше двух знаков после запятой: рубли и копейки."))
        if amount <= 0:
            raise forms.ValidationError(_("Сумма должна быть больше нуля."))
        if amount < MIN_AMOUNT:
            raise forms.ValidationError(_("Наименьшая сумма — %(min)s ₽.") % {"min": f"{MIN_AMOUNT:.2f}"})
        if amount > MAX_AMOUNT:
            raise forms.ValidationError(
                _("Сумма больше %(max)s ₽ за один платёж. Проверьте её или разбейте на несколько платежей.")
                % {"max": "500 000"})
        return amount.quantize(Decimal("0.01"))

    def payment_amount(self):
        if self.cleaned_data["kind"] == Payment.Kind.DEBT:
            return self.debt
        return self.cleaned_data["amount"]
