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
    # «Оплатить ещё раз»: the debt was paid here already and billing has not posted it yet.
    again = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, debt=None, covered=False, **kwargs):
        """``debt``: the amount «Задолженность» pays; ``covered``: that debt is paid here
        already (payments.selectors.Due), so paying it asks once more."""
        super().__init__(*args, **kwargs)
        self.debt, self.covered, self.asks_again = debt, covered, False
        if not debt:
            self.fields["kind"].choices = [(Payment.Kind.AMOUNT, _("Сумму"))]
            self.fields["kind"].initial = Payment.Kind.AMOUNT
        self.fields["kind"].error_messages["required"] = _("Выберите, что оплатить.")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == Payment.Kind.DEBT and self.covered and not cleaned.get("again"):
            # A second payment of the same debt: the server asks once more, whatever the script does.
            self.asks_again = True
            raise forms.ValidationError(_("Эта задолженность уже оплачена в личном кабинете и ожидает учёта. "
                                          "Оплатить её ещё раз?"), code="again")
        return cleaned

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
