"""The PDF receipt of an invoice (платёжный документ, the approximate form of Приказ Минстроя
России № 43/пр), with its ГОСТ Р 56042 payment QR code.

- ``receipt_charges(invoice)``: the invoice's lines (its account's charges of its period).
- ``receipt_source_hash(invoice, charges)``: a SHA-256 of everything the receipt shows (the
  invoice, its charges, the account, the supplier and its payee) and of the layout (the
  template's text, WeasyPrint's and segno's versions). The stored ``Invoice.receipt_source``
  differs from it exactly when the file is out of date.
- ``render_receipt_pdf(invoice, charges)``: the PDF's bytes. WeasyPrint draws
  templates/billing/receipt_pdf.html with the machine's fonts (DejaVu, through fontconfig)
  and a URL fetcher that fetches nothing: the page holds everything (inline CSS, the QR
  code as inline SVG) and any URL it names but a data: URI stops the rendering. The same
  data gives the same bytes: the document has no creation or modification date (no
  ``dcterms.created`` meta), its /ID is the source hash, and WeasyPrint names font subsets
  by a hash of their content.
- ``render_receipt(invoice_id)``: the service the Celery task calls. Under a row lock on
  the invoice it renders only when the stored source differs (or there is no file), writes
  the file to the "private" storage (never served by URL) and records the source and time;
  a second task for the same invoice waits for the lock, then finds the receipt current.
- ``open_current_receipt(invoice)``: the stored file when it is current, else None.

Files are read and written through ``storages["private"]`` at call time (not the field's
storage, which Django fixes when the model is imported), so tests can point it elsewhere.
"""

import functools
import hashlib
import json
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation

from .. import numbers, qr
from ..models import Charge, Invoice

logger = logging.getLogger(__name__)

TEMPLATE = "billing/receipt_pdf.html"
TEMPLATES = (TEMPLATE, "billing/receipt_pdf_slip.html")
# Bump when this module or billing/qr.py changes what a receipt draws: every receipt is
# rendered again on its next request (the templates' text is in the fingerprint by itself).
LAYOUT_VERSION = "2"  # 2: units in Russian (issue 24)


def receipt_storage():
    from django.core.files.storage import storages

    return storages["private"]


def receipt_charges(invoice):
    """The lines of ``invoice``: its account's charges of its period, by service (one query)."""
    return list(Charge.objects.filter(account_id=invoice.account_id, period=invoice.period).order_by("service", "pk"))


@functools.lru_cache(maxsize=1)
def layout_fingerprint():
    """What else decides the file's bytes: the template's text and the renderers' versions.
    A deployment that changes any of them renders every receipt again on its next request."""
    import segno
    import weasyprint

    sources = [getattr(get_template(name).template, "source", "") for name in TEMPLATES]
    return hashlib.sha256("\0".join([LAYOUT_VERSION, *sources, weasyprint.__version__, segno.__version__]).encode()).hexdigest()


def _text(value):
    return "" if value is None else str(value)


def receipt_source_hash(invoice, charges):
    """SHA-256 (hex, 64 characters) of everything the receipt of ``invoice`` shows.

    ``invoice`` comes with ``account__supplier`` (select_related); ``charges`` is
    receipt_charges(invoice)."""
    account = invoice.account
    supplier = account.supplier
    data = {
        "layout": layout_fingerprint(),
        "invoice": [invoice.pk, invoice.number, _text(invoice.period), _text(invoice.total), _text(invoice.due_on)],
        "account": [account.number, account.holder_name, account.address, account.contract_number,
                    account.subscriber_type],
        "supplier": [supplier.name] + [getattr(supplier, name) for name in ("kpp", *supplier.PAYEE_FIELDS)],
        "charges": [
            [charge.service, _text(charge.opening_balance), _text(charge.volume), charge.unit, _text(charge.tariff),
             _text(charge.charged), _text(charge.recalculated), charge.recalculation_reason, _text(charge.paid),
             _text(charge.closing_balance), charge.invoice_number, _text(charge.due_on)]
            for charge in charges
        ],
    }
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


# --- The document ------------------------------------------------------------------------------

# One way for every page (billing.numbers).
NBSP = numbers.NBSP
money, quantity = numbers.money, numbers.quantity


@dataclass
class ReceiptLine:
    charge: Charge
    service: str
    volume: str
    unit: str
    tariff: str
    opening_balance: str
    charged: str
    recalculated: str
    paid: str
    closing_balance: str


def receipt_context(invoice, charges, *, source):
    """What the template draws, every number already formatted."""
    account = invoice.account
    supplier = account.supplier
    due_on = invoice.due_on or min((charge.due_on for charge in charges if charge.due_on), default=None)
    total = invoice.total
    purpose = f"Оплата за коммунальные услуги по л/с {account.number} за {invoice.period:%m.%Y}"
    order = qr.payment_order(supplier=supplier, account_number=account.number, period=invoice.period, total=total,
                             purpose=purpose)
    payload = svg = None
    if order is not None:
        try:
            payload = order.payload()
            svg = qr.qr_svg(payload, title="QR-код для оплаты (ГОСТ Р 56042-2014)")
        except qr.PayloadError:
            logger.warning("Supplier %s: payee details make no valid payment QR code.", supplier.pk, exc_info=True)
            payload = svg = None
    sums = {name: sum((getattr(charge, name) for charge in charges), Decimal(0))
            for name in ("opening_balance", "charged", "recalculated", "paid", "closing_balance")}
    lines = [
        ReceiptLine(
            charge=charge, service=charge.get_service_display(), volume=quantity(charge.volume), unit=numbers.unit_name(charge.unit),
            tariff=quantity(charge.tariff), opening_balance=money(charge.opening_balance), charged=money(charge.charged),
            recalculated=money(charge.recalculated) if charge.recalculated else "", paid=money(charge.paid),
            closing_balance=money(charge.closing_balance),
        )
        for charge in charges
    ]
    return {
        "invoice": invoice,
        "account": account,
        "supplier": supplier,
        "has_payee": order is not None and payload is not None,
        "lines": lines,
        "recalculations": [line for line in lines if line.charge.recalculated or line.charge.recalculation_reason],
        "sums": {name: money(value) for name, value in sums.items()},
        "total": money(abs(total)),
        "overpaid": total < 0,
        "owes": total > 0,
        "due_on": due_on,
        "qr_payload": payload,
        "qr_svg": svg,
        "purpose": purpose,
        "source": source,
    }


@functools.lru_cache(maxsize=1)
def _fetcher_class():
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    class NoNetworkFetcher(URLFetcher):
        """data: URIs only; any other URL stops the rendering (a receipt depends on no
        network and no file on the machine)."""

        def __init__(self):
            super().__init__(allowed_protocols=("data",), allow_redirects=False, fail_on_errors=True)

        def fetch(self, url, headers=None):
            if not url.lower().startswith("data:"):
                raise FatalURLFetchingError(f"A receipt fetches nothing: {url[:100]}")
            return super().fetch(url, headers)

    return NoNetworkFetcher


def no_network_fetcher():
    """WeasyPrint's URL fetcher for receipts (a new one per document: it keeps state)."""
    return _fetcher_class()()


def render_receipt_html(invoice, charges, *, source):
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(TEMPLATE, receipt_context(invoice, charges, source=source))


@functools.lru_cache(maxsize=1)
def _pin_font_timestamps():
    """WeasyPrint subsets fonts with HarfBuzz (libharfbuzz-subset0, which the Makefile and
    the Dockerfile install): same glyphs, same bytes. Without it, it falls back to
    fontTools, which stamps each subset's 'head' table with the current time unless
    SOURCE_DATE_EPOCH (reproducible-builds.org) is set: then pin it, or no two renders of
    the same receipt would be equal."""
    import os

    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    if not (harfbuzz_subset and harfbuzz.hb_version_atleast(4, 1, 0)):
        logger.warning("HarfBuzz-Subset missing: receipts subset fonts with fontTools (slower).")
        os.environ.setdefault("SOURCE_DATE_EPOCH", "0")


def render_receipt_pdf(invoice, charges, *, source=None):
    """The receipt of ``invoice`` as PDF bytes; the same data gives the same bytes."""
    from weasyprint import HTML

    _pin_font_timestamps()
    source = source or receipt_source_hash(invoice, charges)
    html = render_receipt_html(invoice, charges, source=source)
    document = HTML(string=html, url_fetcher=no_network_fetcher())
    return document.write_pdf(pdf_identifier=source.encode())


def receipt_file_name(invoice, source):
    """Where the receipt of ``invoice`` drawn from ``source`` is kept (under upload_to)."""
    return f"receipts/{invoice.tenant_id}/{invoice.account_id}/{invoice.period:%Y-%m}-{invoice.pk}-{source[:16]}.pdf"


def download_name(invoice):
    """The name a browser saves the file under: kvitanciya-<account>-<YYYY-MM>.pdf (ASCII)."""
    import re

    number = re.sub(r"[^0-9A-Za-z_-]+", "-", invoice.account.number).strip("-") or str(invoice.account_id)
    return f"kvitanciya-{number}-{invoice.period:%Y-%m}.pdf"


def is_current(invoice, source):
    return bool(invoice.receipt and invoice.receipt_source == source)


def open_current_receipt(invoice, charges=None):
    """The stored PDF of ``invoice`` as an open file when it is current, else None."""
    charges = receipt_charges(invoice) if charges is None else charges
    if not is_current(invoice, receipt_source_hash(invoice, charges)):
        return None
    try:
        return receipt_storage().open(invoice.receipt.name, "rb")
    except FileNotFoundError:
        return None


def render_receipt(invoice_id):
    """Render the receipt of invoice ``invoice_id`` unless the stored one is current.

    Returns (invoice, rendered: bool); (None, False) for an invoice that no longer exists.
    The invoice's row is locked for the whole of it: a second call for the same invoice
    waits, then finds the receipt current and renders nothing; one file per invoice."""
    storage = receipt_storage()
    with transaction.atomic():
        invoice = (
            Invoice.objects.select_for_update(of=("self",)).select_related("account__supplier")
            .filter(pk=invoice_id).first()
        )
        if invoice is None:
            return None, False
        charges = receipt_charges(invoice)
        source = receipt_source_hash(invoice, charges)
        if is_current(invoice, source) and storage.exists(invoice.receipt.name):
            return invoice, False
        pdf = render_receipt_pdf(invoice, charges, source=source)
        old_name = invoice.receipt.name
        name = receipt_file_name(invoice, source)
        if storage.exists(name):
            # Left by a transaction that did not commit (or this very file, with the same
            # bytes): replace it rather than let the storage pick another name.
            storage.delete(name)
        saved = storage.save(name, ContentFile(pdf))
        invoice.receipt.name = saved
        invoice.receipt_source = source
        invoice.receipt_rendered_at = timezone.now()
        invoice.save(update_fields=["receipt", "receipt_source", "receipt_rendered_at"])
        if old_name and old_name != saved:
            transaction.on_commit(lambda: storage.delete(old_name))
    return invoice, True
