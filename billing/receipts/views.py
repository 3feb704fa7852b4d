"""The PDF receipt of an invoice behind «Скачать квитанцию»: served when it is current,
rendered by a Celery task when not, with a page that says so meanwhile.

- ``invoice_receipt`` (GET /invoices/<id>/receipt/): the stored PDF as an attachment when
  it is current (its source hash equals the data's now); otherwise queues the task and
  sends the browser to the waiting page.
- ``invoice_receipt_wait`` (GET /invoices/<id>/receipt/wait/): «Квитанция формируется…»,
  refreshing itself every 2 seconds (a meta refresh: no script, nothing for the CSP), until
  the file is ready; then «Квитанция готова» with the link (and one refresh that starts the
  download).
- ``invoice_receipt_status`` (GET /invoices/<id>/receipt/status/): {"ready": bool, "url": …}
  for a page that prefers to poll.

Every view fetches the invoice in the request's tenant scope, then the user's link to its
account through billing.access with full access: a missing invoice, another tenant's and
another consumer's answer the same 404; a basic link is sent to the proofs (tenant_page). The
queries do not depend on the number of charges: the invoice and the period's charges (for
the source hash); the link (with the account and supplier) is among the request's cached
links (billing.access.request_access_link).
"""

from django.core.cache import cache
from django.db import transaction
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from portal.pages import tenant_page

from . import services as receipts
from ..access import Need, request_access_link
from ..models import Invoice

# One queued task per invoice and data at a time, however often the waiting page refreshes;
# a task lost on the way is queued again after this many seconds.
QUEUE_AGAIN_AFTER = 60
REFRESH_SECONDS = 2


def _invoice(request, invoice_id):
    """The invoice, with its account and supplier, if the user has full access to its account."""
    invoice = Invoice.objects.filter(pk=invoice_id).first()
    if invoice is None:
        raise Http404
    link = request_access_link(request, invoice.account_id, need=Need.FULL)
    invoice.account = link.account  # the cached link's, with its supplier
    return invoice


def _state(invoice):
    """(source hash, open file or None): the file only when it is current."""
    charges = receipts.receipt_charges(invoice)
    source = receipts.receipt_source_hash(invoice, charges)
    if not receipts.is_current(invoice, source):
        return source, None
    try:
        return source, receipts.receipt_storage().open(invoice.receipt.name, "rb")
    except FileNotFoundError:
        return source, None


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


@require_GET
@tenant_page
def invoice_receipt(request, invoice_id):
    """The receipt as a PDF attachment, or the waiting page while it renders."""
    invoice = _invoice(request, invoice_id)
    source, file = _state(invoice)
    if file is not None:
        return _attachment(invoice, file)
    queue_render(invoice, source)
    return redirect("billing:invoice_receipt_wait", invoice_id=invoice.pk)


@require_GET
@tenant_page
def invoice_receipt_wait(request, invoice_id):
    """«Квитанция формируется…» until the file is current, then «Квитанция готова»."""
    invoice = _invoice(request, invoice_id)
    source, file = _state(invoice)
    if file is not None:
        file.close()
        state = "ready"
    else:
        queue_render(invoice, source)
        state = "pending"
    return render(request, "billing/receipt_status.html", {
        "state": state, "invoice": invoice, "account": invoice.account, "refresh_seconds": REFRESH_SECONDS,
        "download_url": reverse("billing:invoice_receipt", kwargs={"invoice_id": invoice.pk}),
    })


@require_GET
@tenant_page
def invoice_receipt_status(request, invoice_id):
    """{"ready": bool, "url": the download URL}; queues the rendering when not ready."""
    invoice = _invoice(request, invoice_id)
    source, file = _state(invoice)
    if file is not None:
        file.close()
    else:
        queue_render(invoice, source)
    return JsonResponse({
        "ready": file is not None, "url": reverse("billing:invoice_receipt", kwargs={"invoice_id": invoice.pk}),
    })
