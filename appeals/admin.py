"""Appeals in the admin: the tenant's topics and which applications it takes, and the queue
of appeals, support questions and applications that staff work through.

The queue (``AppealAdmin``) lists the newest first. An appeal's page shows what the author
sent read-only (an application's fields and objects too) and two things staff change:
whom it is assigned to (the tenant's staff only) and its status, only along
``Appeal.TRANSITIONS``: a refused move is an error on the page, checked through
``services.appeal_set_status`` and again under the row's lock when saved.

Below the page's form come the thread and «Ответить». The answer is its own form, posted to
its own admin URL (``<id>/answer/``, ``answer_view``), not part of the change form: it has
files (checked by ``attachments.check_files``) and a status of its own, it goes through
``services.appeal_answer`` (message, files, status, the author told by e-mail or SMS) in one
transaction, and a mistake in it must not save or undo an assignment. A refused answer is
shown again on that URL's own page with the thread and the errors; nothing is saved.

Attachments are served only by ``attachment_view`` (``<id>/files/<attachment id>/``): the
appeal through this admin's queryset (the request's tenant scope) with view permission, the
file among that appeal's, as a download with nosniff. Another tenant's appeal or file is
the same 404 as a missing one. Staff neither add nor delete appeals, and nobody edits the
messages: a thread only grows.
"""

import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext, gettext_lazy as _

from accounts.models import User
from portal.admin import TenantOwnedAdmin, on_platform_host
from portal.forms import MultipleFileField
from portal.ids import parse_id

from . import services
from .applications import services as applications
from .attachments import MAX_BYTES, MAX_FILES, check_files
from .models import Appeal, AppealsPolicy, ApplicationObject, ApplicationStageChange, Attachment, Message, Topic


@admin.register(Topic)
class TopicAdmin(TenantOwnedAdmin):
    accusative = _("тему обращений")
    list_display = ["name", "is_support", "is_active", "order"]
    list_filter = ["is_active", "is_support"]
    search_fields = ["name"]
    ordering = ["order", "name"]
    fields = ["tenant", "name", "is_support", "is_active", "order"]


@admin.register(AppealsPolicy)
class AppealsPolicyAdmin(TenantOwnedAdmin):
    """One row per tenant: which applications its customers may send. Staff add it when the
    tenant has none yet and switch the boxes; they do not delete it."""

    list_display = ["__str__", "contract_applications", "grid_connection_applications"]
    fields = ["tenant", "contract_applications", "grid_connection_applications"]

    def has_add_permission(self, request):
        if not super().has_add_permission(request):
            return False
        return on_platform_host(request) or not AppealsPolicy.objects.exists()  # the tenant's scope

    def has_delete_permission(self, request, obj=None):
        return on_platform_host(request) and super().has_delete_permission(request, obj)


# --- The queue ---------------------------------------------------------------------------------


def search_appeals(queryset, term):
    """What staff on the phone type: the appeal's number («№ 15»); the author's surname, phone
    («8 900 123-45-67», any form) or e-mail, or a visitor's contact; or words of the thread.
    Every word must be found somewhere (the default admin search's rule), each word in any of
    those places: «Белова счёт» is Белова's appeal that mentions «счёт».

    Case-insensitive substrings (``icontains``), not PostgreSQL's full-text search: staff type
    parts of surnames, e-mails and phone numbers, which a dictionary does not stem, and a
    tenant's queue is thousands of appeals, not millions. The thread is searched with one
    EXISTS per word, so an appeal with many matching messages is one row and the page keeps
    its query count. Migration appeals 0005 gives the messages' text a trigram index on
    PostgreSQL, which such a LIKE uses."""
    term = term.strip()
    if not term:
        return queryset
    number = parse_id(term.lstrip("№").strip())
    if number is not None and len(term.lstrip("№").strip()) <= 7:
        return queryset.filter(number=number)
    digits = re.sub(r"\D", "", term)
    if len(digits) >= 10 and re.fullmatch(r"[\d\s()+\-.]+", term):  # a phone, typed any way
        tail = digits[-10:]
        return queryset.filter(Q(author__phone__endswith=tail) | Q(contact_phone__endswith=tail)
                               | Q(author__username=term))  # rgmek's logins are digits too
    for word in term.split():
        queryset = queryset.filter(
            Q(author__last_name__icontains=word) | Q(author__email__icontains=word)
            | Q(author__username__icontains=word)
            | Q(contact_name__icontains=word) | Q(contact_email__icontains=word) | Q(applicant__icontains=word)
            | Exists(Message.objects.filter(appeal=OuterRef("pk"), text__icontains=word))
        )
    return queryset


class ApplicationObjectInline(admin.TabularInline):
    model = ApplicationObject
    extra = 0
    can_delete = False
    fields = ["address", "purpose"]
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        # Part of the application: whoever may see the appeal sees its objects.
        opts = Appeal._meta
        return any(request.user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")
                   for action in ("view", "change"))

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ApplicationStageChangeInline(ApplicationObjectInline):
    """A grid-connection application's stages so far: which, who moved it, when."""

    model = ApplicationStageChange
    fields = ["stage", "moved_by", "moved_at"]
    readonly_fields = fields
    verbose_name_plural = _("история этапов")


class StatusField(forms.ChoiceField):
    """Offers the current status and the moves allowed from it, and takes any status: a
    move the transitions refuse is refused by ``services.appeal_set_status`` with its message."""

    def valid_value(self, value):
        return value in Appeal.Status.values


def refusal(appeal, status):
    """Why ``appeal`` may not move to ``status`` (services.appeal_set_status's own words), or None."""
    probe = Appeal(status=appeal.status)
    try:
        services.appeal_set_status(probe, status, save=False)
    except services.AppealRefused as error:
        return str(error)
    return None


class AppealStaffForm(forms.ModelForm):
    """What staff change on an appeal's page: the assignee and the status. No Meta: the
    admin builds the model's fields per request, inside the tenant's scope."""

    status = StatusField(label=_("Статус"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        appeal = self.instance
        if "status" in self.fields:
            current = Appeal.Status(appeal.status)
            moves = Appeal.TRANSITIONS[current]
            self.fields["status"].choices = [(value, label) for value, label in Appeal.Status.choices
                                             if value == current or value in moves]
            if current == Appeal.Status.DRAFT:
                # The author submits a draft application; staff only wait for it.
                self.fields["status"].disabled = True
                self.fields["status"].help_text = _("Черновик: заявитель ещё не отправил заявку.")
        if "assignee" in self.fields:
            field = self.fields["assignee"]
            field.queryset = field.queryset.filter(tenant_id=appeal.tenant_id)
        if "stage" in self.fields:
            # The current stage and the moves applications.stage_refusal allows from it.
            self.fields["stage"].choices = [(value, label) for value, label in Appeal.Stage.choices
                                            if value == appeal.stage or not applications.stage_refusal(appeal, value)]
            self.fields["stage"].required = True
            self.fields["stage"].help_text = _("Заявитель получит письмо (или SMS) о новом этапе. Вперёд — на любой "
                                               "этап, назад — только на один, чтобы исправить ошибку.")

    def clean_stage(self):
        stage = self.cleaned_data["stage"]
        if stage != self.instance.stage:
            message = applications.stage_refusal(self.instance, stage)
            if message:
                raise ValidationError(message, code="refused")
        return stage

    def clean_status(self):
        status = self.cleaned_data["status"]
        message = refusal(self.instance, status)
        if message:
            raise ValidationError(message, code="refused")
        return status


ANSWER_STATUSES = [Appeal.Status.ANSWERED, Appeal.Status.IN_PROGRESS, Appeal.Status.CLOSED]


class AnswerForm(forms.Form):
    text = forms.CharField(label=_("Ответ"), max_length=10000, widget=forms.Textarea(attrs={"rows": 8, "cols": 80}))
    files = MultipleFileField(
        accept=".pdf,.jpg,.jpeg,.png,.docx,.xlsx", label=_("Файлы"), required=False,
        help_text=_("До %(files)s файлов по %(size)s: PDF, JPEG, PNG, DOCX или XLSX.") % {
            "files": MAX_FILES, "size": filesizeformat(MAX_BYTES)},
    )
    status = forms.ChoiceField(label=_("Статус после ответа"), initial=Appeal.Status.ANSWERED,
                               choices=[(status.value, status.label) for status in ANSWER_STATUSES])

    def __init__(self, *args, appeal, **kwargs):
        self.appeal = appeal
        # Its own ids: the change form on the same page has a «status» field too.
        kwargs.setdefault("auto_id", "answer_%s")
        super().__init__(*args, **kwargs)

    def clean_files(self):
        return check_files(self.cleaned_data["files"])

    def clean_status(self):
        # Checked here, so that a refused move gives the form's message.
        status = self.cleaned_data["status"]
        message = refusal(self.appeal, status)
        if message:
            raise ValidationError(message, code="refused")
        return status


@admin.register(Appeal)
class AppealAdmin(TenantOwnedAdmin):
    accusative = _("обращение или заявку")
    form = AppealStaffForm
    list_display = ["number_shown", "created_at", "kind", "topic", "status", "who", "assignee", "account"]
    list_display_links = ["number_shown"]
    list_filter = ["status", "kind", "topic", ("assignee", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["topic", "author", "assignee", "account"]
    search_fields = ["author__last_name"]  # the box; search_appeals searches
    search_help_text = _("Номер обращения; фамилия, телефон или e-mail автора; слова из текста обращения.")
    ordering = ["-created_at", "-pk"]
    list_per_page = 50
    actions = None
    inlines = [ApplicationObjectInline, ApplicationStageChangeInline]
    change_form_template = "admin/appeals/appeal/change_form.html"
    readonly_fields = [
        "tenant", "number", "kind", "topic", "created_at", "submitted_at", "updated_at", "unread_by_author",
        "author", "author_contacts", "account", "contact_name", "contact_email", "contact_phone",
        "subscriber_type", "applicant", "object_address", "max_power_kw", "voltage", "reliability",
    ]

    def get_fieldsets(self, request, obj=None):
        main = ["number", "kind", "topic", "status", "assignee", "created_at", "submitted_at", "updated_at",
                "unread_by_author"]
        if on_platform_host(request):
            main.insert(0, "tenant")
        author = ["author", "author_contacts", "account"]
        if obj is not None and (not obj.author_id or obj.contact_name or obj.contact_email or obj.contact_phone):
            author += ["contact_name", "contact_email", "contact_phone"]  # a visitor's, whom to answer
        fieldsets = [(None, {"fields": main}), (_("Автор"), {"fields": author})]
        if obj is not None and obj.is_application:
            fieldsets.append((_("Заявка"), {"fields": [
                *(["stage"] if obj.kind == Appeal.Kind.GRID_CONNECTION else []),
                "subscriber_type", "applicant", "object_address", "max_power_kw", "voltage", "reliability"]}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is None or not obj.stage:  # a draft: the applicant has not sent it yet
            readonly.append("stage")
        return readonly

    def get_inlines(self, request, obj):
        if obj is None:
            return []
        return {Appeal.Kind.CONTRACT: [ApplicationObjectInline],
                Appeal.Kind.GRID_CONNECTION: [ApplicationStageChangeInline]}.get(obj.kind, [])

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assignee":
            # The request's scope keeps them to the tenant; the form keeps them to the appeal's.
            kwargs["queryset"] = User.objects.filter(is_staff=True, is_active=True).order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "assignee" and formfield is not None and hasattr(formfield.widget, "can_add_related"):
            # Pick a colleague; no links to add or edit users from here.
            formfield.widget.can_add_related = formfield.widget.can_change_related = False
            formfield.widget.can_delete_related = formfield.widget.can_view_related = False
        return formfield

    def get_search_results(self, request, queryset, search_term):
        return search_appeals(queryset, search_term), False

    def has_add_permission(self, request):
        return False  # appeals come from customers

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("номер"), ordering="number")
    def number_shown(self, appeal):
        return f"№ {appeal.number}"

    @admin.display(description=_("автор"))
    def who(self, appeal):
        if appeal.author_id:
            return appeal.author.username
        return appeal.contact_name or appeal.contact_email or appeal.contact_phone or "—"

    @admin.display(description=_("контакты автора"))
    def author_contacts(self, appeal):
        author = appeal.author
        if author is None:
            return "—"
        return ", ".join(contact for contact in (author.get_full_name(), author.email, author.phone) if contact) or "—"

    def save_model(self, request, obj, form, change):
        """The assignee and the status, on the row locked: the status moves only if it still
        may (someone may have answered or closed it meanwhile)."""
        with transaction.atomic():
            current = Appeal.objects.select_for_update().get(pk=obj.pk)
            current.assignee = obj.assignee
            if obj.status != current.status:
                try:
                    services.appeal_set_status(current, obj.status, save=False)
                except services.AppealRefused as error:
                    messages.error(request, str(error))
            current.save(update_fields=["assignee", "status", "updated_at"])
            if obj.stage and obj.stage != current.stage:
                try:
                    current = applications.application_stage_move(current, obj.stage, by=request.user)
                except applications.ApplicationRefused as error:
                    messages.error(request, str(error))
                else:
                    messages.info(request, gettext("Заявитель получит сообщение о новом этапе: «%(stage)s».")
                                  % {"stage": current.get_stage_display()})
        obj.status, obj.stage = current.status, current.stage

    # --- The thread, the answer and the files ------------------------------------------------

    def get_urls(self):
        return [
            path("<path:object_id>/answer/", self.admin_site.admin_view(self.answer_view),
                 name="appeals_appeal_answer"),
            path("<path:object_id>/files/<int:attachment_id>/", self.admin_site.admin_view(self.attachment_view),
                 name="appeals_appeal_attachment"),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["thread"] = thread(obj)
            if self.has_change_permission(request, obj):
                context.setdefault("answer_form", AnswerForm(appeal=obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def answer_view(self, request, object_id):
        """Staff answer: text, files and the status after it, through services.appeal_answer.
        A refused answer comes back on this page with the thread; nothing is saved."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        appeal = self.get_object(request, unquote(object_id))  # within the request's tenant scope
        if appeal is None:
            raise Http404(gettext("Такого обращения нет."))
        if not self.has_change_permission(request, appeal):
            raise PermissionDenied
        if request.method == "POST":
            form = AnswerForm(request.POST, request.FILES, appeal=appeal)
            if form.is_valid():
                try:
                    message = services.appeal_answer(
                        appeal, staff=request.user, text=form.cleaned_data["text"], files=form.cleaned_data["files"],
                        status=form.cleaned_data["status"],
                    )
                except services.AppealRefused as error:  # the status changed meanwhile
                    form.add_error("status", str(error))
                else:
                    self.log_change(request, appeal, [{"added": {
                        "name": str(Message._meta.verbose_name), "object": str(message)}}])
                    messages.success(request, gettext("Ответ отправлен автору обращения № %(number)s.") % {
                        "number": appeal.number})
                    return redirect("admin:appeals_appeal_change", appeal.pk)
        else:
            form = AnswerForm(appeal=appeal)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Ответ на обращение № %(number)s") % {"number": appeal.number},
            "opts": self.model._meta, "original": appeal, "appeal": appeal, "answer_form": form,
            "thread": thread(appeal), "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/appeals/appeal/answer.html", context)

    def attachment_view(self, request, object_id, attachment_id):
        """A file of the thread, as a download: the appeal found through this admin's
        queryset with view permission, the file among the appeal's. Anything else, another
        tenant's file included, is the same 404."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        appeal = self.get_object(request, unquote(object_id))
        if appeal is None or not self.has_view_or_change_permission(request, appeal):
            raise Http404(gettext("Такого файла нет."))
        attachment = Attachment.objects.filter(pk=attachment_id, appeal=appeal).first()  # the tenant's scope
        if attachment is None or (not on_platform_host(request) and attachment.tenant_id != request.tenant.pk):
            raise Http404(gettext("Такого файла нет."))
        try:
            stream = attachment.file.open("rb")
        except FileNotFoundError:
            raise Http404(gettext("Такого файла нет.")) from None
        response = FileResponse(stream, as_attachment=True, filename=attachment.name,
                                content_type=attachment.content_type)
        response["X-Content-Type-Options"] = "nosniff"
        return response


def thread(appeal):
    """The appeal's messages, oldest first, with their authors and attachments."""
    return list(Message.objects.filter(appeal=appeal).select_related("author").prefetch_related("attachments"))
