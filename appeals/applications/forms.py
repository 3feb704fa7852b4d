"""The forms of applications: a contract's subscriber type and rows of objects, a grid
connection's details, and the documents of either."""

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from billing.models import Account
from portal.forms import MultipleFileField

from .services import MAX_DOCUMENTS, MAX_OBJECTS, MAX_POWER_KW, documents_limit_message
from ..attachments import check_files
from ..models import Appeal


class SubscriberForm(forms.Form):
    subscriber_type = forms.ChoiceField(
        label=_("Тип абонента"), choices=Account.SubscriberType.choices, widget=forms.RadioSelect,
        error_messages={"required": _("Выберите тип абонента: физическое или юридическое лицо."),
                        "invalid_choice": _("Выберите тип абонента: физическое или юридическое лицо.")},
    )


class ObjectForm(forms.Form):
    """One object of a contract application."""

    address = forms.CharField(
        label=_("Адрес объекта"), max_length=500,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": _("Укажите адрес объекта."),
                        "max_length": _("Адрес не длиннее %(limit_value)d символов (сейчас %(show_value)d).")},
    )
    purpose = forms.CharField(
        label=_("Назначение объекта"), max_length=300, help_text=_("Например: жилой дом, квартира, магазин, гараж."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": _("Укажите назначение объекта."),
                        "max_length": _("Назначение не длиннее %(limit_value)d символов (сейчас %(show_value)d).")},
    )


class ObjectRows:
    """The objects of a contract application as numbered rows of ``ObjectForm``s, added and
    removed by the form's own buttons (no script needed): «Добавить объект» appends an empty
    row, «Удалить» drops one, and neither loses what was typed in the others.

    ``ObjectRows(data=request.POST)`` reads the rows that were sent; ``ObjectRows(rows=[...])``
    shows the given ones (dicts of address and purpose) unbound. On saving, rows left
    entirely empty are dropped; at least one must remain.
    """

    prefix = "objects"
    fields = ("address", "purpose")

    def __init__(self, data=None, rows=None, focus=None):
        self.errors = []
        if data is not None:
            self.rows = self._rows_of(data)
            self.forms = [ObjectForm(self._data(index, row), prefix=self._prefix(index))
                          for index, row in enumerate(self.rows)]
        else:
            self.rows = [{name: row.get(name, "") for name in self.fields} for row in (rows or [])] or [self._empty()]
            self.forms = [ObjectForm(initial=row, prefix=self._prefix(index)) for index, row in enumerate(self.rows)]
        if focus is not None and 0 <= focus < len(self.forms):
            self.forms[focus].fields["address"].widget.attrs["autofocus"] = True

    @classmethod
    def _prefix(cls, index):
        return f"{cls.prefix}-{index}"

    @classmethod
    def _empty(cls):
        return {name: "" for name in cls.fields}

    @classmethod
    def _data(cls, index, row):
        return {f"{cls._prefix(index)}-{name}": value for name, value in row.items()}

    @classmethod
    def _rows_of(cls, data):
        try:
            count = int(data.get(f"{cls.prefix}-count", ""))
        except ValueError:
            count = 1
        count = min(max(count, 0), MAX_OBJECTS)
        return [{name: str(data.get(f"{cls._prefix(index)}-{name}", ""))[:1000] for name in cls.fields}
                for index in range(count)]

    @property
    def count(self):
        return len(self.forms)

    @property
    def can_add(self):
        return self.count < MAX_OBJECTS

    def added(self):
        """The same rows and one more, empty, which takes the focus."""
        if not self.can_add:
            rows = ObjectRows(rows=self.rows)
            rows.errors.append(_("В одной заявке не больше %(count)d объектов.") % {"count": MAX_OBJECTS})
            return rows
        return ObjectRows(rows=[*self.rows, self._empty()], focus=len(self.rows))

    def removed(self, index):
        """The same rows without the one at ``index`` (an empty one if none is left)."""
        rows = [row for position, row in enumerate(self.rows) if position != index]
        return ObjectRows(rows=rows, focus=min(index, len(rows) - 1) if rows else 0)

    def is_valid(self):
        """Drop the empty rows, then check the rest (renumbered as they will be shown)."""
        rows = [row for row in self.rows if any(value.strip() for value in row.values())]
        if not rows:
            self.rows, self.forms = [self._empty()], [ObjectForm(prefix=self._prefix(0))]
            self.errors = [_("Добавьте хотя бы один объект: его адрес и назначение.")]
            return False
        self.rows = rows
        self.forms = [ObjectForm(self._data(index, row), prefix=self._prefix(index)) for index, row in enumerate(rows)]
        return all([form.is_valid() for form in self.forms])

    @property
    def cleaned_objects(self):
        return [(form.cleaned_data["address"], form.cleaned_data["purpose"]) for form in self.forms]

    @property
    def has_errors(self):
        return bool(self.errors) or any(form.errors for form in self.forms)


POWER_FORMAT = re.compile(r"[+-]?\d+(?:\.\d+)?")


class GridForm(forms.Form):
    """A grid-connection application's details (guide 001)."""

    applicant = forms.CharField(
        label=_("Заявитель"), max_length=300,
        help_text=_("Фамилия, имя и отчество или наименование организации."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("Укажите заявителя: фамилию, имя и отчество или наименование организации."),
                        "max_length": _("Не длиннее %(limit_value)d символов (сейчас %(show_value)d).")},
    )
    object_address = forms.CharField(
        label=_("Адрес объекта"), max_length=500,
        help_text=_("Где находится объект, который нужно присоединить к сети."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": _("Укажите адрес объекта."),
                        "max_length": _("Адрес не длиннее %(limit_value)d символов (сейчас %(show_value)d).")},
    )
    max_power_kw = forms.CharField(
        label=_("Максимальная мощность, кВт"), max_length=20,
        help_text=_("Число, например 15 или 15,5; не больше 100 000 кВт."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={"required": _("Укажите максимальную мощность в киловаттах, например 15."),
                        "max_length": _("Введите мощность числом, например 15 или 15,5.")},
    )
    voltage = forms.ChoiceField(
        label=_("Уровень напряжения"), choices=[("", _("— выберите —")), *Appeal.Voltage.choices],
        error_messages={"required": _("Выберите уровень напряжения."),
                        "invalid_choice": _("Выберите уровень напряжения из списка.")},
    )
    reliability = forms.ChoiceField(
        label=_("Категория надёжности"), choices=Appeal.Reliability.choices, widget=forms.RadioSelect,
        help_text=_("Для жилого дома и дачи обычно III категория."),
        error_messages={"required": _("Выберите категорию надёжности."),
                        "invalid_choice": _("Выберите категорию надёжности из списка.")},
    )

    def clean_max_power_kw(self):
        raw = self.cleaned_data["max_power_kw"]
        raw = "".join(raw.split()).replace("\u00a0", "").replace(",", ".")
        if not POWER_FORMAT.fullmatch(raw):
            raise ValidationError(_("Введите мощность числом, например 15 или 15,5."))
        try:
            power = Decimal(raw)
        except InvalidOperation:  # pragma: no cover - the pattern above admits only numbers
            raise ValidationError(_("Введите мощность числом, например 15 или 15,5.")) from None
        if power <= 0:
            raise ValidationError(_("Мощность должна быть больше нуля."))
        if power > MAX_POWER_KW:
            raise ValidationError(_("Мощность не больше 100 000 кВт. Проверьте число: мощность указывается "
                                    "в киловаттах."))
        if power.as_tuple().exponent < -2:
            raise ValidationError(_("Не больше двух знаков после запятой."))
        return power.quantize(Decimal("0.01"))


class DocumentsForm(forms.Form):
    """Documents to attach: checked by their content (``attachments.check_files``), at most
    ``MAX_DOCUMENTS`` in all with those already attached (``already``)."""

    documents = MultipleFileField(
        accept=".pdf,.jpg,.jpeg,.png,.docx,.xlsx", label=_("Файлы документов"), required=False,
        error_messages={"empty": _("Файл пустой: выберите другой."),
                        "invalid": _("Не удалось прочитать файл: выберите его снова.")},
    )

    def __init__(self, *args, already=0, require_files=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.already = already
        self.require_files = require_files
        self.fields["documents"].help_text = _(
            "PDF, JPEG, PNG, DOCX или XLSX, до 10 МБ каждый; к заявке — не больше %(max)d документов. "
            "Уже приложено: %(already)d.") % {"max": MAX_DOCUMENTS, "already": already}

    def clean_documents(self):
        files = self.cleaned_data["documents"]
        if not files:
            if self.require_files:
                raise ValidationError(_("Выберите файлы, которые нужно приложить."))
            return []
        if self.already + len(files) > MAX_DOCUMENTS:
            raise ValidationError(documents_limit_message(self.already))
        return check_files(files)
