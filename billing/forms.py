"""Forms of billing's pages: staff's upload of exchange files in the admin; a consumer's linking
of an account and the control question."""

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _, ngettext

from portal.exchange.files import FileRefused, check_whole, kind_of
from portal.forms import MultipleFileField
from portal.exchange.registry import kind_names

MAX_UPLOAD_FILES = 20
MAX_UPLOAD_BYTES = 200 * 1024 * 1024


class ImportUploadForm(forms.Form):
    files = MultipleFileField(
        accept=".csv,text/csv",
        label=_("Файлы из биллинга"),
        help_text=_("До %(files)s файлов CSV, всего не больше %(size)s. Вид файла определяется по имени: "
                    "accounts.csv, meters.csv, readings.csv, charges.csv, payments.csv, counterparties.csv, "
                    "contracts.csv (можно с суффиксом: charges_2026-05.csv). Порядок не важен.")
        % {"files": MAX_UPLOAD_FILES, "size": filesizeformat(MAX_UPLOAD_BYTES)},
    )
    dry_run = forms.BooleanField(
        label=_("Пробный прогон: проверить файлы и показать итоги, ничего не записывая"), required=False,
    )

    def clean_files(self):
        files = self.cleaned_data["files"]
        if len(files) > MAX_UPLOAD_FILES:
            raise forms.ValidationError(
                ngettext("Можно загрузить не больше %(limit)d файла за раз.",
                         "Можно загрузить не больше %(limit)d файлов за раз.", MAX_UPLOAD_FILES)
                % {"limit": MAX_UPLOAD_FILES}, code="too_many")
        if sum(file.size for file in files) > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("Файлы вместе больше %(size)s: разделите загрузку на несколько.")
                % {"size": filesizeformat(MAX_UPLOAD_BYTES)}, code="too_large")
        errors = []
        for file in files:
            try:
                kind_of(file.name)
            except FileRefused:
                errors.append(forms.ValidationError(
                    _("«%(name)s»: по имени непонятно, что в файле. Имя должно начинаться с одного из слов "
                      "%(kinds)s и заканчиваться на .csv.") % {"name": file.name, "kinds": ", ".join(kind_names())},
                    code="unknown_kind"))
            else:
                try:
                    check_whole(file.file)
                except FileRefused as refused:
                    errors.append(forms.ValidationError(
                        _("Файл «%(name)s» не загружен: %(reason)s") % {"name": file.name, "reason": refused.russian},
                        code="damaged"))
        names = [file.name for file in files]
        for name in sorted({name for name in names if names.count(name) > 1}):
            errors.append(forms.ValidationError(
                _("Файл «%(name)s» выбран дважды.") % {"name": name}, code="duplicate"))
        if errors:
            raise forms.ValidationError(errors)
        return files


class LinkAccountForm(forms.Form):
    """Guides 002 and 004: the supplier, and the account number as printed on the receipt
    (the supplier's format normalises it in links.link_by_number)."""

    supplier = forms.ModelChoiceField(label=_("Поставщик услуг"), queryset=None, empty_label=_("Выберите поставщика"))
    number = forms.CharField(label=_("Номер лицевого счёта"), max_length=50)

    def __init__(self, *args, suppliers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = suppliers
        if len(suppliers) == 1:
            self.fields["supplier"].initial = suppliers[0].pk


class ControlQuestionForm(forms.Form):
    """Guide 004: one of the tenant's control questions and the answer."""

    question = forms.ChoiceField(label=_("Контрольный вопрос"), widget=forms.RadioSelect)
    answer = forms.CharField(label=_("Введите ответ на контрольный вопрос"), max_length=100)

    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["question"].choices = questions
        if questions:
            self.fields["question"].initial = questions[0][0]


class WizardTypeForm(forms.Form):
    """Guide 003, step 1: who the subscriber is."""

    subscriber_type = forms.ChoiceField(
        label=_("Тип абонента"), widget=forms.RadioSelect,
        choices=[("individual", _("Физическое лицо")), ("legal", _("Юридическое лицо или ИП"))],
    )


class WizardDetailsForm(LinkAccountForm):
    """Guide 003, step 2: the fields the subscriber's type requires."""

    surname = forms.CharField(label=_("Фамилия владельца счёта (как в квитанции)"), max_length=100)
    inn = forms.RegexField(label=_("ИНН"), regex=r"^\d{10}(\d{2})?$", max_length=12,
                           error_messages={"invalid": _("ИНН — 10 или 12 цифр.")})

    def __init__(self, *args, subscriber_type, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["inn" if subscriber_type == "individual" else "surname"]
