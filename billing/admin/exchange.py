"""The billing exchange in the admin: export runs, and import runs — staff upload exchange
files on «Загрузить файлы из биллинга» (the import runs' list): the same import as the
command, as a Celery task; each run is kept with its files, figures and rejected lines,
which download through a view that checks the tenant (private storage, no URL serves those
files).
"""

from pathlib import Path

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from portal.admin import LargeTableAdmin, TenantOwnedAdmin, on_platform_host

from billing import services
from billing.forms import MAX_UPLOAD_BYTES, ImportUploadForm
from billing.models import ExportRun, ImportFile, ImportRun
from billing.admin.accounts import BillingOwnedAdmin


@admin.register(ExportRun)
class ExportRunAdmin(BillingOwnedAdmin):
    accusative = _("выгрузку в биллинг")
    list_display = ["created_at", "kind", "period", "file_name", "rows"]
    list_filter = ["kind"]
    ordering = ["-pk"]
    sortable_by = ["created_at"]


# --- Imports ---------------------------------------------------------------------------------


class ImportFileInline(admin.TabularInline):
    model = ImportFile
    extra = 0
    can_delete = False
    fields = ["name", "kind", "read", "created", "updated", "unchanged", "rejected", "problem", "rejected_download"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("отклонённые строки"))
    def rejected_download(self, file):
        if not file.rejected_lines:
            return "—"
        url = reverse("admin:billing_importrun_rejected_lines", args=[file.pk])
        return format_html('<a href="{}">{}</a>', url, _("скачать CSV"))


@admin.register(ImportRun)
class ImportRunAdmin(LargeTableAdmin, TenantOwnedAdmin):
    """Import runs, from the command or from an upload here; read-only records."""

    accusative = _("загрузку из биллинга")

    list_display = ["created_at", "who", "dry_run", "status", "written", "files_read", "files_created",
                    "files_updated", "files_rejected"]
    list_filter = ["status", "dry_run"]
    list_select_related = ["started_by"]
    ordering = ["-pk"]
    sortable_by = ["created_at"]
    fields = ["tenant", "created_at", "who", "dry_run", "status", "finished_at", "written", "error"]
    readonly_fields = fields
    inlines = [ImportFileInline]
    change_list_template = "admin/billing/importrun/change_list.html"
    change_form_template = "admin/billing/importrun/change_form.html"
    # While a run is queued or running its page reloads itself this often (no script: a
    # <meta> refresh, which the Content Security Policy allows), until the result is there.
    refresh_seconds = 3

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["run_totals"] = obj.files.aggregate(
                read=Sum("read"), created=Sum("created"), updated=Sum("updated"), unchanged=Sum("unchanged"),
                rejected=Sum("rejected"))
            context["run_refused"] = obj.files.exclude(problem="").count() if obj.finished else 0
            context["refresh_seconds"] = None if obj.finished else self.refresh_seconds
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            files_read_sum=Sum("files__read"), files_created_sum=Sum("files__created"),
            files_updated_sum=Sum("files__updated"), files_rejected_sum=Sum("files__rejected"),
        )

    @admin.display(description=_("кто запустил"))
    def who(self, run):
        return run.started_by or _("команда оператора")

    @admin.display(description=_("прочитано"))
    def files_read(self, run):
        return run.files_read_sum or 0

    @admin.display(description=_("создано"))
    def files_created(self, run):
        return run.files_created_sum or 0

    @admin.display(description=_("обновлено"))
    def files_updated(self, run):
        return run.files_updated_sum or 0

    @admin.display(description=_("отклонено"))
    def files_rejected(self, run):
        return run.files_rejected_sum or 0

    def has_add_permission(self, request):
        # An import belongs to a tenant: uploads happen on the tenant's host.
        return not on_platform_host(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="billing_importrun_upload"),
            path("files/<int:file_id>/rejected.csv", self.admin_site.admin_view(self.rejected_lines_view),
                 name="billing_importrun_rejected_lines"),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        return redirect("admin:billing_importrun_upload")

    def upload_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_UPLOAD_BYTES + 1024 * 1024:
                # Refused before the body is read (and written to temporary files).
                form = ImportUploadForm()
                form.cleaned_data = {}
                form.add_error("files", _("Файлы вместе больше 200 МБ: разделите загрузку на несколько."))
                return self._upload_page(request, form)
            form = ImportUploadForm(request.POST, request.FILES)
            if form.is_valid():
                run = services.import_start_uploaded(
                    request.tenant, user=request.user, uploads=form.cleaned_data["files"],
                    dry_run=form.cleaned_data["dry_run"],
                )
                self.log_addition(request, run, [{"added": {}}])
                messages.success(request, _("Файлы загружены, импорт поставлен в очередь. Эта страница сама "
                                            "покажет итоги, когда он закончится."))
                return redirect("admin:billing_importrun_change", run.pk)
        else:
            form = ImportUploadForm()
        return self._upload_page(request, form)

    def _upload_page(self, request, form):
        context = {
            **self.admin_site.each_context(request), "form": form, "opts": self.model._meta,
            "title": _("Загрузить файлы из биллинга"), "has_view_permission": self.has_view_permission(request),
        }
        return TemplateResponse(request, "admin/billing/importrun/upload.html", context)

    def rejected_lines_view(self, request, file_id):
        """The rejected lines of one file of a run this admin shows the user, as an
        attachment; anything else (another tenant's file included) is the same 404."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        file = ImportFile.objects.filter(pk=file_id).exclude(rejected_lines="").first()  # the tenant's scope
        if file is None or (not on_platform_host(request) and file.tenant_id != request.tenant.pk):
            raise Http404
        try:
            stream = file.rejected_lines.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        filename = f"{Path(file.name).stem}-rejected.csv"
        return FileResponse(stream, as_attachment=True, filename=filename, content_type="text/csv; charset=utf-8")
