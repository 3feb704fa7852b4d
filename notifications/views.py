"""«Мои подписки» (signed in) and the one-click unsubscribe of a notice's e-mail (no login).

The unsubscribe link carries a signed token (services.unsubscribe_token) for one user of one
tenant and one topic. GET only shows a button: mail scanners and link previews fetch every
link, and must not unsubscribe anyone. POST switches the topic off; it needs no CSRF token,
since mail providers post the one-click form of List-Unsubscribe-Post (RFC 8058) without
one, and the token alone is the authority. A token tampered with, or made for another
tenant's host, is a 404 with a plain explanation.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _, gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from portal.pages import tenant_page

from . import services
from .forms import SubscriptionForm

TOPIC_LABELS = {
    "reading_reminders": gettext_lazy("напоминания о передаче показаний"),
    "invoice_notices": gettext_lazy("уведомления о новых счетах"),
}


@tenant_page
def subscriptions(request):
    subscription = services.subscription_ensure(request.user)
    form = SubscriptionForm(request.POST or None, instance=subscription)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Подписки сохранены."))
        return redirect("notifications:subscriptions")
    user = request.user
    context = {
        "form": form,
        "email": user.email if user.email_verified else "",
        "phone": user.phone if user.phone_verified else "",
    }
    return render(request, "notifications/subscriptions.html", context)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    found = services.unsubscribe_token_read(token, tenant=request.tenant)
    user = None
    if found is not None:
        user = get_user_model().objects.filter(pk=found[0], is_active=True).first()  # the host's tenant scope
    if user is None:
        return render(request, "notifications/unsubscribe_invalid.html", status=404)
    topic = found[1]
    done = False
    if request.method == "POST":
        services.subscription_unsubscribe(user=user, topic=topic)
        done = True
    return render(request, "notifications/unsubscribe.html",
                  {"topic": TOPIC_LABELS[topic], "done": done, "signed_in": request.user.is_authenticated})


