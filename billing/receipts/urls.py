"""The receipt's URLs (billing/receipts/views.py), included into billing's namespace:

    path("", include(receipt_urls)),   # in billing/urls.py, with `from .receipts import urls as receipt_urls`

giving billing:invoice_receipt, billing:invoice_receipt_wait and billing:invoice_receipt_status.
"""

from django.urls import path

from . import views as receipt_views

urlpatterns = [
    path("invoices/<int:invoice_id>/receipt/", receipt_views.invoice_receipt, name="invoice_receipt"),
    path("invoices/<int:invoice_id>/receipt/wait/", receipt_views.invoice_receipt_wait, name="invoice_receipt_wait"),
    path("invoices/<int:invoice_id>/receipt/status/", receipt_views.invoice_receipt_status,
         name="invoice_receipt_status"),
]
