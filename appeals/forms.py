"""The customer's forms: a new appeal, a reply in its thread, a question to support.

Files are checked by their content (``attachments.check_files``) as part of the form, so a
refused file is a field error like any other and the rest of what was typed is kept."""

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from portal.captcha import SingleUseCaptchaField
from portal.forms import MultipleFileField
from portal.phones import normalize_phone

from .attachments import MAX_FILES, check_files
from .models import Message

TEXT_MAX_LENGTH = Message._meta.get_field("text").max_length
ACCEPTED_FILES = ",".join([
    ".pdf", ".jpg", ".jpeg", ".png", ".docx", ".xlsx", "application/pdf", "image/jpeg", "image/png",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
])
FILES_HELP = format_lazy(_("До {count} файлов: PDF, JPEG, PNG, DOCX или XLSX, каждый не больше 10 МБ."),
                         count=MAX_FILES)


class AttachmentsField(MultipleFileField):
    """The files of one ``<input type="file" multiple>`` checked by their content: a list of
    ``attachments.CheckedFile``, empty when none were chosen."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(accept=ACCEPTED_FILES, **kwargs)

    def clean(self, data, initial=None):
        return check_files(super().clean(data, initial))


def files_field():
    return AttachmentsField(label=_("Файлы"), help_text=FILES_HELP)


def text_field(label):
    return forms.CharField(label=label, max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 8}))


class FilesKeptMixin:
    @property
    def files_lost(self):
        """Files were chosen but the form comes back: the browser does not keep them."""
        return self.is_bound and any(self.files.getlist(name) for name, field in self.fields.items()
                                     if isinstance(field, AttachmentsField))


class AppealForm(FilesKeptMixin, forms.Form):
    """A new appeal: a topic of the tenant's list, the account it concerns (optional), the
    text and up to five files."""

    topic = forms.TypedChoiceField(label=_("Тема"), coerce=int)
    account = forms.TypedChoiceField(label=_("Лицевой счёт"), coerce=int, required=False, empty_value=None,
                                     help_text=_("Если обращение касается одного из ваших лицевых счетов."))
    text = text_field(_("Текст обращения"))
    files = files_field()
    # The form's one appeal, however often it is sent (a double click, a retried request).
    token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4, required=False)

    def __init__(self, *args, topics, links, **kwargs):
        super().__init__(*args, **kwargs)
        self._topics = {topic.pk: topic for topic in topics}
        self._accounts = {link.account_id: link.account for link in links}
        if topics:
            self.fields["topic"].choices = [("", _("— выберите тему —"))] + [(t.pk, t.name) for t in topics]
        else:  # a tenant without a list of topics
            del self.fields["topic"]
        if links:
            self.fields["account"].choices = [("", _("— не относится к счёту —"))] + [
                (link.account_id, f"{link.account.number} · {link.account.supplier.name}") for link in links]
        else:
            del self.fields["account"]

    def clean_topic(self):
        return self._topics[self.cleaned_data["topic"]]

    def clean_account(self):
        account_id = self.cleaned_data.get("account")
        return None if account_id is None else self._accounts[account_id]


class ReplyForm(FilesKeptMixin, forms.Form):
    text = text_field(_("Ваш ответ"))
    files = files_field()


class SupportQuestionForm(forms.Form):
    """A question to technical support. A visitor says who they are and where to answer (an
    e-mail, a phone or both) and passes a captcha; a signed-in customer writes the text only:
    the answer goes to their account's contacts and into their list of appeals."""

    name = forms.CharField(label=_("Как к вам обращаться"), max_length=200,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(label=_("E-mail для ответа"), max_length=254, required=False,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    phone = forms.CharField(label=_("Телефон для ответа"), max_length=32, required=False,
                            help_text=_("Мобильный, например +7 900 123-45-67. Укажите e-mail, телефон или оба."),
                            widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))
    text = text_field(_("Ваш вопрос"))
    token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4, required=False)

    def __init__(self, *args, visitor, **kwargs):
        super().__init__(*args, **kwargs)
        self.visitor = visitor
        if visitor:
            self.fields["captcha"] = SingleUseCaptchaField(label=_("Введите текст с картинки"))
        else:
            for name in ("name", "email", "phone"):
                del self.fields[name]

    def clean_email(self):
        return self.cleaned_data.get("email", "").strip().lower()

    def clean_phone(self):
        value = self.cleaned_data.get("phone", "").strip()
        return normalize_phone(value) if value else ""

    def clean(self):
        cleaned = super().clean()
        if self.visitor and not cleaned.get("email") and not cleaned.get("phone") \
                and "email" not in self.errors and "phone" not in self.errors:
            self.add_error("email", ValidationError(_("Укажите e-mail или телефон, чтобы мы могли ответить."),
                                                    code="no_contact"))
        return cleaned
