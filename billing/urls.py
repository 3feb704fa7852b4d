from django.urls import include, path

from . import views
from .receipts import urls as receipt_urls

app_name = "billing"

urlpatterns = [
    path("personal/link/", views.link_account, name="link"),
    path("personal/<str:account_id>/unlink/", views.unlink_account, name="unlink"),
    path("personal/<str:account_id>/extended/", views.extended_access, name="extended_access"),
    path("personal/<str:account_id>/invoices/", views.invoices, name="invoices"),
    path("personal/<str:account_id>/history/", views.history, name="history"),
    path("", include(receipt_urls)),
]
