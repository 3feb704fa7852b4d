"""The customer's appeal pages: the list, a new appeal, the thread with the reply form and
«Возобновить», the author's attachment downloads, and the question to support (visitors
too). Every page reaches an appeal through ``selectors.appeal_of``, so another customer's,
another tenant's and a missing one answer the same 404."""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.access import user_links
from portal.pages import tenant_page
from portal.ratelimits import by_client, by_user, limited

from . import selectors, services
from .applications.selectors import stage_steps
from .forms import AppealForm, ReplyForm, SupportQuestionForm
from .models import Appeal, Attachment

# The visitor's question just sent, for the confirmation page after the redirect.
SENT_QUESTION_KEY = "appeals:support_sent"


def _appeal_or_404(request, public_id):
    appeal = selectors.appeal_of(request.user, public_id)
    if appeal is None:
        raise Http404
    return appeal


@tenant_page
@require_GET
def appeal_list(request):
    policy = selectors.policy_of(request.tenant)
    return render(request, "appeals/list.html", {
        "appeals": selectors.appeals_of(request.user),
        "offers_applications": policy.contract_applications or policy.grid_connection_applications,
    })


@tenant_page
@require_http_methods(["GET", "POST"])
def appeal_new(request):
    form = AppealForm(request.POST or None, request.FILES or None, topics=selectors.topics_for_appeals(),
                      links=user_links(request.user))
    if request.method == "POST" and form.is_valid():
        if limited(request, "appeals.create", rate=services.APPEALS_PER_HOUR, key=by_user) \
                or limited(request, "appeals.create.day", rate=services.APPEALS_PER_DAY, key=by_user):
            messages.error(request, _("Слишком много обращений подряд. Попробуйте позже."))
        else:
            try:
                appeal = services.appeal_create(
                    tenant=request.tenant, author=request.user, topic=form.cleaned_data.get("topic"),
                    account=form.cleaned_data.get("account"), text=form.cleaned_data["text"],
                    files=form.cleaned_data["files"], public_id=form.cleaned_data["token"] or None,
                )
            except services.AppealRefused as refused:
                messages.error(request, str(refused))
            else:
                messages.success(request, _("Обращение № %(number)s отправлено.") % {"number": appeal.number})
                return redirect("appeals:detail", public_id=appeal.public_id)
    return render(request, "appeals/new.html", {"form": form, "files_lost": request.method == "POST"
                                                and form.files_lost})


@tenant_page
@require_http_methods(["GET", "POST"])
def appeal_detail(request, public_id):
    appeal = _appeal_or_404(request, public_id)
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        if limited(request, "appeals.reply", rate=services.REPLIES_PER_HOUR, key=by_user):
            messages.error(request, _("Слишком много сообщений подряд. Попробуйте позже."))
        else:
            try:
                services.appeal_reply(appeal, user=request.user, text=form.cleaned_data["text"],
                                      files=form.cleaned_data["files"])
            except services.AppealRefused as refused:
                messages.error(request, str(refused))
            else:
                messages.success(request, _("Сообщение отправлено."))
                return redirect("appeals:detail", public_id=appeal.public_id)
    services.appeal_mark_read(appeal)  # before the menu's counter is read (lazily, while rendering)
    return render(request, "appeals/detail.html", {
        "appeal": appeal, "thread": selectors.thread(appeal), "form": form, "stages": stage_steps(appeal),
        "can_reply": appeal.status not in (Appeal.Status.CLOSED, Appeal.Status.DRAFT),
        "files_lost": request.method == "POST" and form.files_lost,
    })


@tenant_page
@require_POST
def appeal_reopen(request, public_id):
    appeal = _appeal_or_404(request, public_id)
    try:  # a stale page may ask to reopen what is not closed: the service says so
        services.appeal_reopen(appeal, user=request.user)
    except services.AppealRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Обращение № %(number)s возобновлено.") % {"number": appeal.number})
    return redirect("appeals:detail", public_id=appeal.public_id)


@tenant_page
@require_GET
def attachment_download(request, attachment_id):
    """The author's own attachment (theirs or staff's, in their thread), as a download only."""
    public_id = Attachment.objects.filter(pk=attachment_id).values_list("appeal__public_id", flat=True).first()
    appeal = _appeal_or_404(request, public_id)
    attachment = appeal.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404
    try:
        file = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(file, as_attachment=True, filename=attachment.name,
                            content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@tenant_page(signed_in=False)
@require_http_methods(["GET", "POST"])
def support_question(request):
    """A question to technical support, from a visitor or a signed-in customer."""
    visitor = not request.user.is_authenticated
    if visitor and request.method == "GET" and request.GET.get("sent"):
        number = request.session.get(SENT_QUESTION_KEY)
        if number:
            return render(request, "appeals/support_sent.html", {"number": number})
    form = SupportQuestionForm(request.POST or None, visitor=visitor)
    if request.method == "POST" and form.is_valid():
        if limited(request, "appeals.support", rate=services.QUESTIONS_PER_HOUR_VISITOR if visitor else services.QUESTIONS_PER_HOUR_USER,
                   key=by_client if visitor else by_user):
            messages.error(request, _("Слишком много вопросов подряд. Попробуйте позже или позвоните нам."))
        else:
            data = form.cleaned_data
            try:
                appeal = services.appeal_create(
                    tenant=request.tenant, author=None if visitor else request.user, kind=Appeal.Kind.SUPPORT,
                    topic=selectors.support_topic(), text=data["text"], contact_name=data.get("name", ""),
                    contact_email=data.get("email", ""), contact_phone=data.get("phone", ""),
                    public_id=None if visitor else data["token"] or None,  # a visitor's captcha is single-use already
                )
            except services.AppealRefused as refused:
                messages.error(request, str(refused))
                return render(request, "appeals/support_question.html", {"form": form, "visitor": visitor})
            if not visitor:
                messages.success(request, _("Вопрос № %(number)s отправлен в техподдержку. Ответ появится здесь.")
                                 % {"number": appeal.number})
                return redirect("appeals:detail", public_id=appeal.public_id)
            request.session[SENT_QUESTION_KEY] = appeal.number
            return redirect(reverse("appeals:support_question") + "?sent=1")
    return render(request, "appeals/support_question.html", {"form": form, "visitor": visitor})
