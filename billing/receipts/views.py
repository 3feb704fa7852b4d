"""The PDF receipt of an invoice behind «Скачать квитанцию»: served when it is current,
rendered by a Celery task when not, with a page that says so meanwhile.

- ``invoice_receipt`` (GET /invoices/<id>/receipt/): the stored PDF as an attachment when
  it is current (its source hash equals the data's now); otherwise queues the task and
  sends the browser to the waiting page.
- ``invoice_receipt_wait`` (GET /invoices/<id>/receipt/wait/): «Квитанция формируется…»,
  asking the status below every 2 seconds (static/js/portal.js; a meta refresh inside
  <noscript> without script), until the file is ready; then «Квитанция готова» with the link
  (and one refresh that starts the download).
- ``invoice_receipt_status`` (GET /invoices/<id>/receipt/status/): {"ready": bool, "url": …}
  for the waiting page's script.

Every view fetches the invoice in the request's tenant scope, then the user's link to its
account through billing.access with full access: a missing invoice, another tenant's and
another consumer's answer the same 404; a basic link is sent to the proofs (tenant_page). The
queries do not depend on the number of charges: the invoice and the period's charges (for
the source hash), and those only when the cache does not hold them (INVOICE below); the link
(with the account and supplier) is among the request's cached links.
"""

from django.core.cache import cache
from django.db import transaction
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from portal import versions
from portal.ids import parse_id
from portal.pages import tenant_page
from portal.transactions import atomic_unless_safe

from . import services as receipts
from .. import fragments
from ..access import Need, request_access_link
from ..models import Invoice

# One queued task per invoice and data at a time, however often the waiting page refreshes;
# a task lost on the way is queued again after this many seconds.
QUEUE_AGAIN_AFTER = 60
REFRESH_SECONDS = 2


# The invoice, and then its receipt's source hash, are kept in the cache (portal.versions)
# under the tenant's billing version (an import changes invoices and charges), the invoice's
# own, which every write of it bumps (a receipt rendered and stored), and for the hash the
# account's, which a write of its charges bumps (billing/versions.py): the download asks the
# database nothing (3 queries a request before, docs/performance.md), for one more round trip.
# GET only, outside a transaction (atomic_unless_safe): its BEGIN and COMMIT were the two
# round trips left; what it writes is a cache key and, in autocommit, the queued task.


def _invoice(request, invoice_id):
    """(the invoice, with its account and supplier, and its data's source hash) if the user
    has full access to its account."""
    invoice_id = parse_id(invoice_id)
    if invoice_id is None:
        raise Http404
    scopes = [(fragments.TENANT, request.tenant.pk), (fragments.INVOICE, invoice_id)]
    invoice = versions.cached(f"billing:receipt-invoice:{request.tenant.pk}:{invoice_id}", scopes=scopes,
                              build=lambda: Invoice.objects.filter(pk=invoice_id).first() or False)
    if not invoice:
        raise Http404
    link = request_access_link(request, invoice.account_id, need=Need.FULL)
    source = versions.cached(
        f"billing:receipt-source:{request.tenant.pk}:{invoice_id}",
        scopes=[*scopes, (fragments.ACCOUNT, invoice.account_id)],
        build=lambda: receipts.receipt_source_hash(invoice, receipts.receipt_charges(invoice)))
    invoice.account = link.account  # the cached link's, with its supplier
    return invoice, source


def _state(invoice, source):
    """The open file when the stored receipt is current, else None."""
    if not receipts.is_current(invoice, source):
        return None
    try:
        return receipts.receipt_storage().open(invoice.receipt.name, "rb")
    except FileNotFoundError:
        return None


def queue_render(invoice, source):
    """Queue the rendering of ``invoice``'s receipt after the request's transaction commits,
    unless it was queued for the same data within QUEUE_AGAIN_AFTER seconds."""
    from ..tasks import render_receipt

    if cache.add(f"billing:receipt-queued:{invoice.pk}:{source}", True, timeout=QUEUE_AGAIN_AFTER):
        tenant_id, invoice_id = invoice.tenant_id, invoice.pk
        transaction.on_commit(lambda: render_receipt.delay(tenant_id=tenant_id, invoice_id=invoice_id))


def _attachment(invoice, file):
    response = FileResponse(file, as_attachment=True, filename=receipts.download_name(invoice),
                            content_type="application/pdf")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@atomic_unless_safe
@require_GET
@tenant_page
def invoice_receipt(request, invoice_id):
    """The receipt as a PDF attachment, or the waiting page while it renders."""
    invoice, source = _invoice(request, invoice_id)
    file = _state(invoice, source)
    if file is not None:
        return _attachment(invoice, file)
    queue_render(invoice, source)
    return redirect("billing:invoice_receipt_wait", invoice_id=invoice.pk)


@atomic_unless_safe
@require_GET
@tenant_page
def invoice_receipt_wait(request, invoice_id):
    """«Квитанция формируется…» until the file is current, then «Квитанция готова»."""
    invoice, ready = _ready_or_queued(request, invoice_id)
    return render(request, "billing/receipt_status.html", {
        "state": "ready" if ready else "pending", "invoice": invoice, "account": invoice.account, "refresh_seconds": REFRESH_SECONDS,
        "download_url": reverse("billing:invoice_receipt", kwargs={"invoice_id": invoice.pk}),
    })


@atomic_unless_safe
@require_GET
@tenant_page
def invoice_receipt_status(request, invoice_id):
    """{"ready": bool, "url": the download URL}; queues the rendering when not ready."""
    invoice, ready = _ready_or_queued(request, invoice_id)
    return JsonResponse({
        "ready": ready, "url": reverse("billing:invoice_receipt", kwargs={"invoice_id": invoice.pk}),
    })


def _ready_or_queued(request, invoice_id):
    """(the invoice, whether its receipt is current); the rendering queued when it is not."""
    invoice, source = _invoice(request, invoice_id)
    file = _state(invoice, source)
    if file is None:
        queue_render(invoice, source)
        return invoice, False
    file.close()
    return invoice, True
