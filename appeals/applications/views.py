"""The customer's application pages: «Заявки», a contract application (guide 003: objects,
then documents), a grid-connection application (guide 001: only in an activated account), the
documents of a draft and sending it.

A page that names an application reaches it only through its author and public id, within the
tenant's scope: another customer's or another tenant's is a 404 like a missing one. A tenant
whose policy offers no applications (or not this kind) has none of these pages.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from portal.ids import parse_id
from portal.pages import tenant_page
from portal.ratelimits import by_user, limited

from . import selectors
from . import services as applications
from .forms import DocumentsForm, GridForm, ObjectRows, SubscriberForm
from ..models import Appeal

# A status as said of an application («заявка» is feminine; the model's labels are for appeals).
STATUS_LABELS = {
    Appeal.Status.DRAFT: gettext_lazy("черновик"),
    Appeal.Status.NEW: gettext_lazy("отправлена"),
    Appeal.Status.IN_PROGRESS: gettext_lazy("в работе"),
    Appeal.Status.ANSWERED: gettext_lazy("есть ответ"),
    Appeal.Status.CLOSED: gettext_lazy("закрыта"),
}


def _offered_or_404(request, kind=None):
    """The kinds the tenant offers; a 404 when it offers none (or not ``kind``)."""
    kinds = selectors.offered_kinds(request.tenant)
    if not kinds or (kind is not None and kind not in kinds):
        raise Http404
    return kinds


def _application_or_404(request, public_id, kind=None):
    """The user's own application of a kind the tenant offers."""
    appeal = selectors.application_of(request.user, public_id)
    if appeal is None or (kind is not None and appeal.kind != kind):
        raise Http404
    _offered_or_404(request, appeal.kind)
    return appeal


def _sent(request, appeal):
    """A page of the draft asked for after it was sent: its thread instead."""
    messages.info(request, _("Заявка № %(number)s уже отправлена. Её статус и переписка — здесь.")
                  % {"number": appeal.number})
    return redirect("appeals:detail", public_id=appeal.public_id)


def _not_activated(request):
    """Guide 001: a grid-connection application only in an activated personal account."""
    return render(request, "appeals/applications/not_activated.html", status=403)


def _edit_url_name(appeal):
    return "appeals:application_contract" if appeal.kind == Appeal.Kind.CONTRACT else "appeals:application_grid"


@tenant_page
def application_list(request):
    return _applications_page(request, home=False)


def applicant_home(request):
    """The home of a tenant whose customers have no personal accounts (guide 001): «Новая
    заявка» first, then their applications with their stages. The cabinet's overview hands
    its request here (already a ``tenant_page``)."""
    return _applications_page(request, home=True)


def _applications_page(request, *, home):
    # The home is there even where no applications are offered (it says so); the list is not.
    kinds = selectors.offered_kinds(request.tenant) if home else _offered_or_404(request)
    stages = len(Appeal.Stage)
    rows = [{"appeal": appeal, "status": STATUS_LABELS.get(appeal.status, appeal.get_status_display()),
             "edit_url_name": _edit_url_name(appeal),
             "stage_number": list(Appeal.Stage).index(Appeal.Stage(appeal.stage)) + 1 if appeal.stage else None}
            for appeal in selectors.applications_of(request.user)]
    return render(request, "appeals/applications/list.html", {
        "rows": rows, "home": home, "stages": stages,
        "offers_contract": Appeal.Kind.CONTRACT in kinds,
        "offers_grid": Appeal.Kind.GRID_CONNECTION in kinds,
        "activated": request.user.is_activated,
    })


@tenant_page
@require_http_methods(["GET", "POST"])
def application_contract(request, public_id=None):
    """Step 1 of a contract application: the subscriber type and the objects; saved as a
    draft (a new one, or the draft named by ``public_id``), then on to the documents."""
    _offered_or_404(request, Appeal.Kind.CONTRACT)
    appeal = _application_or_404(request, public_id, Appeal.Kind.CONTRACT) if public_id else None
    if appeal is not None and appeal.status != Appeal.Status.DRAFT:
        return _sent(request, appeal)
    if request.method == "POST":
        chosen = request.POST.get("subscriber_type", "")
        rows = ObjectRows(data=request.POST)
        remove = request.POST.get("remove", "")
        if request.POST.get("action") == "add" or remove:
            # Rows change, nothing is saved or checked yet: the choice stays as it was.
            form = SubscriberForm(initial={"subscriber_type": chosen})
            position = parse_id(remove)
            rows = rows.added() if not remove else rows.removed(-1 if position is None else position)
        else:
            form = SubscriberForm(request.POST)
            if form.is_valid() & rows.is_valid():
                if appeal is None and limited(request, "appeals.application_draft",
                                                rate=applications.DRAFTS_PER_HOUR, key=by_user):
                    form.add_error(None, _("Слишком много новых заявок подряд. Попробуйте позже."))
                else:
                    try:
                        appeal = applications.contract_draft_save(
                            tenant=request.tenant, author=request.user,
                            subscriber_type=form.cleaned_data["subscriber_type"], objects=rows.cleaned_objects,
                            appeal=appeal)
                    except applications.ApplicationRefused as refused:
                        form.add_error(None, str(refused))
                    else:
                        messages.success(request, _("Черновик заявки сохранён. Теперь приложите документы."))
                        return redirect("appeals:application_documents", public_id=appeal.public_id)
    else:
        form = SubscriberForm(initial={"subscriber_type": appeal.subscriber_type if appeal else ""})
        rows = ObjectRows(rows=[{"address": item.address, "purpose": item.purpose}
                                for item in appeal.objects_list.all()] if appeal else None)
    return render(request, "appeals/applications/contract.html", {
        "appeal": appeal, "form": form, "rows": rows, "max_objects": applications.MAX_OBJECTS,
    })


@tenant_page
@require_http_methods(["GET", "POST"])
def application_grid(request, public_id=None):
    """Step 1 of a grid-connection application: the applicant and the object; saved as a
    draft, then on to the documents. Only in an activated personal account."""
    _offered_or_404(request, Appeal.Kind.GRID_CONNECTION)
    appeal = _application_or_404(request, public_id, Appeal.Kind.GRID_CONNECTION) if public_id else None
    if appeal is not None and appeal.status != Appeal.Status.DRAFT:
        return _sent(request, appeal)
    if not request.user.is_activated:
        return _not_activated(request)
    if appeal is not None:
        initial = {name: getattr(appeal, name) for name in applications.GRID_FIELDS}
        if appeal.max_power_kw is not None:
            initial["max_power_kw"] = f"{appeal.max_power_kw.normalize():f}".replace(".", ",")
    else:
        initial = {"applicant": request.user.get_full_name()}
    form = GridForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if appeal is None and limited(request, "appeals.application_draft",
                                                rate=applications.DRAFTS_PER_HOUR, key=by_user):
            form.add_error(None, _("Слишком много новых заявок подряд. Попробуйте позже."))
        else:
            try:
                appeal = applications.grid_draft_save(tenant=request.tenant, author=request.user, appeal=appeal,
                                                      **form.cleaned_data)
            except applications.ApplicationRefused as refused:
                form.add_error(None, str(refused))
            else:
                messages.success(request, _("Черновик заявки сохранён. Теперь приложите документы."))
                return redirect("appeals:application_documents", public_id=appeal.public_id)
    return render(request, "appeals/applications/grid.html", {"appeal": appeal, "form": form})


def _documents_page(request, appeal, form, status=200):
    documents = selectors.documents_of(appeal)
    return render(request, "appeals/applications/documents.html", {
        "appeal": appeal, "form": form, "documents": documents,
        "objects": list(appeal.objects_list.all()) if appeal.kind == Appeal.Kind.CONTRACT else [],
        "edit_url_name": _edit_url_name(appeal), "problems": applications.application_problems(appeal),
        "max_documents": applications.MAX_DOCUMENTS, "room": applications.MAX_DOCUMENTS - len(documents),
    }, status=status)


def _draft_for_documents(request, public_id):
    """The user's draft, or the answer to give instead (its thread once sent; the refusal of
    an account that is not activated)."""
    appeal = _application_or_404(request, public_id)
    if appeal.status != Appeal.Status.DRAFT:
        return appeal, _sent(request, appeal)
    if appeal.kind == Appeal.Kind.GRID_CONNECTION and not request.user.is_activated:
        return appeal, _not_activated(request)
    return appeal, None


def _count_documents(appeal):
    return len(selectors.documents_of(appeal))


@tenant_page
@require_http_methods(["GET", "POST"])
def application_documents(request, public_id):
    """Step 2: the draft's documents, added (several at a time) or removed; and «Отправить
    заявку», which posts to ``application_submit``."""
    appeal, instead = _draft_for_documents(request, public_id)
    if instead is not None:
        return instead
    if request.method == "POST" and "remove" in request.POST:
        remove = request.POST["remove"]
        try:
            removed = applications.document_remove(appeal, user=request.user,
                                                   attachment_id=parse_id(remove) or 0)
        except applications.ApplicationRefused as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, _("Документ «%(name)s» удалён.") % {"name": removed.name})
        return redirect("appeals:application_documents", public_id=appeal.public_id)
    form = DocumentsForm(request.POST or None, request.FILES or None, already=_count_documents(appeal))
    if request.method == "POST" and form.is_valid():
        if _attach(request, appeal, form):
            count = len(form.cleaned_data["documents"])
            messages.success(request, _("Документы приложены: %(count)d.") % {"count": count})
            return redirect("appeals:application_documents", public_id=appeal.public_id)
    return _documents_page(request, appeal, form)


def _attach(request, appeal, form):
    """Attach the form's checked files; False (and the form told why) when refused."""
    if limited(request, "appeals.application_upload", rate=applications.UPLOADS_PER_HOUR, key=by_user):
        form.add_error("documents", _("Слишком много загрузок подряд. Попробуйте позже."))
        return False
    try:
        applications.documents_add(appeal, user=request.user, files=form.cleaned_data["documents"])
    except applications.ApplicationRefused as refused:
        form.add_error("documents", str(refused))
        return False
    return True


@tenant_page
@require_POST
def application_submit(request, public_id):
    """«Отправить заявку»: files chosen on the documents page are attached first, then the
    draft goes to staff; its page with the status and the thread follows."""
    appeal, instead = _draft_for_documents(request, public_id)
    if instead is not None:
        return instead
    form = DocumentsForm(request.POST, request.FILES, already=_count_documents(appeal), require_files=False)
    if not form.is_valid() or (form.cleaned_data["documents"] and not _attach(request, appeal, form)):
        return _documents_page(request, appeal, form)
    try:
        appeal = applications.application_submit(appeal, user=request.user)
    except applications.ApplicationRefused as refused:
        messages.error(request, str(refused))
        return redirect("appeals:application_documents", public_id=appeal.public_id)
    messages.success(request, _("Заявка № %(number)s отправлена. Ответ специалиста появится в переписке по ней.")
                     % {"number": appeal.number})
    return redirect("appeals:detail", public_id=appeal.public_id)
