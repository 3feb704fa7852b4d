from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("personal/<str:account_id>/pay/", views.pay, name="pay"),
    path("personal/<str:account_id>/payments/", views.history, name="history"),
    path("payments/<uuid:public_id>/confirm/", views.confirm, name="confirm"),
    path("payments/<uuid:public_id>/", views.status, name="status"),
    path("payments/notify/<str:provider_account_id>/", views.notify, name="notify"),
    path("sandbox-pay/<str:payment_id>/", views.sandbox_page, name="sandbox_page"),
    path("sandbox-pay/api/payments/<str:payment_id>/", views.sandbox_api_payment, name="sandbox_api_payment"),
]
