"""The person's pages: «Скачать мои данные» and the request to delete the account.

Both are the signed-in user's own, at their tenant's host (portal.pages.tenant_page: a
platform host is a 404). The archive holds only what the apps' privacy modules give for
this user (privacy.registry); it is built on POST, answered as an attachment that no cache
keeps."""

from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from portal.pages import tenant_page
from portal.ratelimits import by_user, limited, reserve_failure

from . import selectors, services
from .exports import user_data_archive
from .forms import DeletionRequestForm



@tenant_page
@require_http_methods(["GET", "POST"])
def my_data(request):
    if request.method == "POST":
        if limited(request, "privacy.export", rate=services.EXPORTS_PER_HOUR, key=by_user) \
                or limited(request, "privacy.export.day", rate=services.EXPORTS_PER_DAY, key=by_user):
            messages.error(request, _("Архив можно скачать несколько раз в день. Попробуйте позже."))
            return render(request, "privacy/data.html", status=429)
        archive = user_data_archive(request.user)
        filename = f"my-data-{request.tenant.slug}-{request.tenant.today():%Y-%m-%d}.zip"
        return FileResponse(archive, as_attachment=True, filename=filename, content_type="application/zip")
    return render(request, "privacy/data.html")


@tenant_page
@require_http_methods(["GET", "POST"])
def delete_request(request):
    user = request.user
    pending = selectors.deletion_request_open(user)
    form = DeletionRequestForm(request.POST or None, user=user)
    if request.method == "POST" and pending is None and not user.is_staff:
        # Counted before the check and forgiven when right: guesses sent at once stop at the limit.
        reservation = reserve_failure(request, "privacy.delete.password", rate=services.PASSWORD_FAILURES_PER_HOUR,
                                      key=by_user)
        if reservation.refused:
            form.add_error(None, _("Слишком много неверных паролей. Попробуйте через час."))
        elif form.is_valid():
            reservation.forgive()
            try:
                services.deletion_request_create(user=user, reason=form.cleaned_data["reason"])
            except services.DeletionRefused as refused:
                messages.error(request, str(refused))
            else:
                messages.success(request, _("Запрос на удаление учётной записи отправлен."))
            return redirect("privacy:delete_request")
        elif not form.has_error("password", code="wrong_password"):
            reservation.forgive()  # an empty field tried no password
    return render(request, "privacy/delete_request.html", {"form": form, "pending": pending})


@tenant_page
@require_POST
def delete_cancel(request):
    if services.deletion_request_cancel(user=request.user):
        messages.success(request, _("Запрос на удаление учётной записи отменён."))
    else:
        messages.error(request, _("Отменить можно только запрос, по которому ещё не принято решение."))
    return redirect("privacy:delete_request")
