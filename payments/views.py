"""The consumer's payment pages, providers' notifications, and the sandbox's own pages.

Pay → confirm (contract, invoice, period, amount; guide 003) → the provider's page → the
return page, which never marks anything paid: it shows «Проверяем оплату…» and asks the
provider until the status is known.
"""

import base64
import contextlib
import binascii
import hmac
import json
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.contacts import masked_person
from billing import fragments
from billing.access import Need, access_link, page_access_link, request_access_link
from billing.models import AccountLink
from billing.selectors import account_overview, invoice_number, invoice_of
from meters.models import Reading
from portal.hosts import tenant_base_url
from portal.ids import parse_id
from portal.page_cache import one_time_token
from portal.pages import tenant_page
from portal.transactions import atomic_unless_safe
from portal.ratelimits import by_user, limited

from . import selectors, services, tasks
from .forms import PayForm
from .models import Payment, SandboxPayment
from .providers import NotificationRefused, ProviderError, ProviderNotification, provider_for
from .providers.sandbox import remote as sandbox

# How recent a reading passed before paying must be to be shown with the payment.
READINGS_WITH_PAYMENT = timedelta(hours=2)


@atomic_unless_safe
@tenant_page(kept=True)
def pay(request, account_id):
    link = page_access_link(request, account_id, need=Need.PAY)
    account, tenant = link.account, request.tenant
    # «Оплатить и передать показания»: the readings page saved them and sent their ids here.
    readings = _readings_of(request, account, request.POST.get("readings") or request.GET.get("readings", ""))
    context = {"full": link.access == AccountLink.Access.FULL, "link": link, "account": account,
               "readings": readings, "reading_ids": ",".join(str(reading.pk) for reading in readings),
               "token": one_time_token()}
    if request.method != "POST":
        # Under the tenant's and the account's versions (a payment's every write stales them),
        # as HTML: only the form's token is this request's.
        page = fragments.cached("pay", tenant_id=tenant.pk, account_id=account.pk,
                                parts=(tenant.today(), context["full"], bool(readings)),
                                build=lambda: _pay_page(_pay_state(account, tenant), account=account,
                                                        full=context["full"], readings=bool(readings)))
        return render(request, "payments/pay.html", {**context, **page})
    state = _pay_state(account, tenant)  # the amount a payment takes is read now, never from a cache
    overview, due, debt = state["overview"], state["due"], state["debt"]
    form = PayForm(request.POST, debt=debt, covered=due.covered)
    if form.is_valid():
        if limited(request, "payments.create", rate=services.PAYMENTS_PER_HOUR, key=by_user):
            messages.error(request, _("Слишком много платежей подряд. Попробуйте позже."))
        else:
            try:
                payment = services.payment_create(
                    user=request.user, account=account,
                    kind=Payment.Kind.READINGS if readings else form.cleaned_data["kind"],
                    amount=form.payment_amount(), token=form.cleaned_data["token"],
                    period=overview.period, invoice_number=invoice_number(account, overview.period),
                    readings=readings,
                )
            except services.PaymentRefused as refused:
                messages.error(request, str(refused))
            else:
                return redirect("payments:confirm", public_id=payment.public_id)
    # The form again, with its errors and its own token (the same payment, however often sent).
    context["token"] = form["token"].value() or context["token"]
    return render(request, "payments/pay.html", {
        **context, **_pay_page(state, account=account, full=context["full"], readings=bool(readings), form=form)})


def _pay_page(state, *, account, full, readings, form=None):
    """The pay page's parts that are not of one request, as HTML: what is above the form
    (the account, the amount due), the form's fields (``form``: a bound one, with its
    errors; else the unbound one, whose choice the state decides) and the links below it
    (``readings``: whether the page came with readings just sent). What a GET keeps in the
    cache: strings and a flag, cheap to read back (the state's objects cost 40 µs a request
    to unpickle; the parts around the form, rendered per request, 4 URLs and 6 translations)."""
    due = state["due"]
    if form is None:
        # A debt paid already is offered, never preselected; a debt left to pay is.
        initial_kind = Payment.Kind.DEBT if due.state == "owed" else None if due.covered else Payment.Kind.AMOUNT
        form = PayForm(debt=state["debt"], covered=due.covered, initial={"kind": initial_kind})
    context = {**state, "account": account, "full": full, "amounts": True, "form": form, "readings": readings}
    return {
        "available": state["available"],
        "head": mark_safe(render_to_string("payments/includes/pay_head.html", context)),
        "fields": mark_safe(render_to_string("payments/includes/pay_fields.html", context)),
        "links": mark_safe(render_to_string("payments/includes/pay_links.html", context)),
    }


def _pay_state(account, tenant):
    """What the pay page shows of the account: billing's overview, the amount due (less what
    was paid here and not yet posted, payments.selectors.Due) and the debt «Задолженность»
    pays, whether it has meters in service and whether its supplier takes payments here.
    A GET keeps it as HTML (``_pay_page``): 4.6 % of the bare view and 5 queries a request
    at gaz before (docs/performance.md)."""
    overview = account_overview(account)
    due = selectors.amount_due(account, billed=overview.to_pay, tenant=tenant)
    return {
        "overview": overview, "due": due,
        "debt": due.to_pay if due.state == "owed" else due.billed if due.covered else None,
        "has_meters": account.meters.filter(archived_on__isnull=True).exists(),
        "available": selectors.provider_accounts_usable().filter(supplier_id=account.supplier_id).exists(),
    }


def _readings_of(request, account, text):
    """The readings named in ``text`` ("12,13") that this user passed for this account lately;
    anything else named there is ignored (they are shown with the payment, nothing more)."""
    ids = [number for number in map(parse_id, text.split(",")[:20]) if number is not None]
    if not ids:
        return []
    return list(Reading.objects.filter(
        meter__account=account, pk__in=ids, submitted_by=request.user,
        submitted_at__gte=timezone.now() - READINGS_WITH_PAYMENT,
    ).select_related("meter").order_by("meter_id", "zone"))


def _payment_or_404(request, public_id):
    """The user's own payment, while their link to its account still lets them pay; and
    whether that link is full (what the page may show of the account)."""
    payment = selectors.payment_of(request.user, public_id)
    if payment is None:
        raise Http404
    link = access_link(request.user, payment.account_id, need=Need.PAY)
    return payment, link.access == AccountLink.Access.FULL


@tenant_page
@require_http_methods(["GET", "POST"])
def confirm(request, public_id):
    payment, full = _payment_or_404(request, public_id)
    if request.method == "POST":
        # The tenant's own address, never the request's Host (which the client chooses, port
        # and all): the provider sends the payer and its notifications there.
        base = tenant_base_url(request.tenant)
        return_url = base + reverse("payments:status", kwargs={"public_id": payment.public_id})
        notification_url = base + reverse("payments:notify", kwargs={"provider_account_id": payment.provider_account_id})
        try:
            target = services.payment_send(payment, return_url=return_url, notification_url=notification_url)
        except services.PaymentRefused as refused:
            messages.error(request, str(refused))
            return redirect("payments:confirm", public_id=payment.public_id)
        return redirect(target or reverse("payments:status", kwargs={"public_id": payment.public_id}))
    if payment.status != Payment.Status.CREATED:
        return redirect("payments:status", public_id=payment.public_id)
    return render(request, "payments/confirm.html", {
        "payment": payment, "account": payment.account, "readings": payment.readings.select_related("meter"),
        "full": full,
    })


# While pending, the return page asks for the status this often.
STATUS_REFRESH_SECONDS = 3


@tenant_page
@require_GET
def status(request, public_id):
    payment, full = _payment_or_404(request, public_id)
    if payment.status == Payment.Status.CREATED:  # not sent to the provider yet
        return redirect("payments:confirm", public_id=payment.public_id)
    if payment.status == Payment.Status.PENDING:
        with contextlib.suppress(ProviderError):  # the provider is slow to answer: keep asking
            payment = services.payment_refresh(payment, force=False)
    if request.GET.get("format") == "json":  # the page's script polls this
        return JsonResponse({"status": payment.status})
    return render(request, "payments/status.html", {
        "payment": payment, "account": payment.account, "refresh_seconds": STATUS_REFRESH_SECONDS,
        "check_by": timezone.localtime(selectors.next_check_at(payment), request.tenant.zone),
        # The month's receipt, a tap away from the confirmation (the holder's: receipts need full access).
        "invoice": invoice_of(payment.account, payment.period) if full and payment.period else None,
    })


@atomic_unless_safe
@tenant_page(kept=True)
@require_GET
def history(request, account_id):
    """«Мои платежи»: the body from the cache (billing.fragments: every write of a payment
    bumps its account's version, payments/versions.py), per user, access and day."""
    link = request_access_link(request, account_id, need=Need.PAY)
    full = link.access == AccountLink.Access.FULL
    user = request.user
    body = fragments.cached("payments", tenant_id=request.tenant.pk, account_id=link.account_id, user_id=user.pk,
                            parts=(link.access, request.tenant.today()), build=lambda: render_to_string(
                                "payments/history_body.html", _history_context(user, link, full)))
    # Rendered by payments/history_body.html, which escaped what it shows.
    return render(request, "payments/history.html", {"body": mark_safe(body)})


def _history_context(user, link, full):
    others = selectors.others_payments(user, link.account) if full else []
    return {"link": link, "account": link.account, "payments": selectors.payments_of(user, link.account),
            "full": full, "others": [(payment, masked_person(payment.user)) for payment in others]}


@csrf_exempt
@tenant_page(signed_in=False)
@require_POST
def notify(request, provider_account_id):
    """A provider's notification: authenticated, stored once, answered 200 only after the
    commit; applied by a Celery task (the status is fetched from the provider there)."""
    provider_account_id = parse_id(provider_account_id)
    if provider_account_id is None:
        raise Http404
    # The tenant's own only; a sandbox shop only while the sandbox is on.
    provider_account = selectors.provider_accounts_usable().filter(pk=provider_account_id).first()
    if provider_account is None:
        raise Http404
    try:
        with transaction.atomic():
            event = services.notification_receive(provider_account=provider_account,
                                                  notification=ProviderNotification.from_request(request))
            tenant_id = request.tenant.pk
            transaction.on_commit(lambda: tasks.apply_payment_event.delay(tenant_id=tenant_id, event_id=event.pk))
    except NotificationRefused as refused:
        return HttpResponseForbidden(str(refused), content_type="text/plain")
    return HttpResponse(provider_for(provider_account).notification_answer(), content_type="text/plain")


# The sandbox provider's own pages: what a real provider serves on its site.


def _sandbox_payment(payment_id):
    if not settings.PAYMENT_SANDBOX_ENABLED:
        raise Http404
    try:
        return SandboxPayment.objects.get(pk=uuid.UUID(str(payment_id)))
    except (ValueError, SandboxPayment.DoesNotExist):
        raise Http404 from None


SANDBOX_3DS_CODE = "12345"


@require_http_methods(["GET", "POST"])
def sandbox_page(request, payment_id):
    payment = _sandbox_payment(payment_id)
    payment = sandbox.fetch(shop_id=payment.shop_id, payment_id=payment.pk)  # expired meanwhile?
    if request.method == "POST" and payment.status == SandboxPayment.Status.PENDING:
        outcome = request.POST.get("outcome")
        if outcome == "success":
            sandbox.finish(payment, succeeded=True)
        elif outcome == "decline":
            sandbox.finish(payment, succeeded=False, reason="insufficient_funds")
        elif outcome == "3ds":
            return render(request, "payments/sandbox_3ds.html", {"payment": payment, "code": SANDBOX_3DS_CODE})
        elif outcome == "3ds-code":
            passed = hmac.compare_digest(request.POST.get("code", "").strip().encode(), SANDBOX_3DS_CODE.encode())
            sandbox.finish(payment, succeeded=passed, reason="" if passed else "3d_secure_failed")
        elif outcome == "error":
            # The payer sees an error; the money went through; nobody tells the shop.
            sandbox.finish(payment, succeeded=True, silent=True)
            return render(request, "payments/sandbox_error.html", {"payment": payment}, status=500)
        # "abandon" decides nothing: the payment stays pending until it expires.
        return redirect(payment.return_url)
    return render(request, "payments/sandbox_page.html", {
        "payment": payment, "amount": payment.amount_kopecks / 100, "finished": payment.status != "pending",
    })


@require_GET
def sandbox_api_payment(request, payment_id):
    """The sandbox's status endpoint (GET /payments/{id} of a real API), HTTP Basic auth with
    the shop's id and secret key."""
    payment = _sandbox_payment(payment_id)
    try:
        scheme, credentials = request.headers.get("Authorization", "").split(" ", 1)
        shop_id, secret = base64.b64decode(credentials).decode().split(":", 1)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return JsonResponse({"code": "invalid_credentials"}, status=401)
    expected = sandbox.shop_secret(shop_id) or ""
    if scheme != "Basic" or shop_id != payment.shop_id or not expected \
            or not hmac.compare_digest(secret.encode(), expected.encode()):
        return JsonResponse({"code": "invalid_credentials"}, status=401)
    payment = sandbox.fetch(shop_id=shop_id, payment_id=payment.pk)
    return JsonResponse(json.loads(sandbox.notification_body(payment, "payment.status"))["object"]
                        | {"refunded_kopecks": payment.refunded_kopecks, "reason": payment.cancellation_reason})
