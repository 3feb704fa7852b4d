from django.urls import path

from . import views

app_name = "cabinet"

urlpatterns = [
    path("overview/", views.overview, name="overview"),
    path("personal/select/", views.select, name="select"),
    # The menu's «Оплата», «Показания», «Счета»: the current account's page.
    path("pay/", views.current, {"page": "payments:pay"}, name="pay"),
    path("readings/", views.current, {"page": "meters:readings"}, name="readings"),
    path("invoices/", views.current, {"page": "billing:invoices"}, name="invoices"),
]
