from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("privacy/data/", views.my_data, name="data"),
    path("privacy/delete/", views.delete_request, name="delete_request"),
    path("privacy/delete/cancel/", views.delete_cancel, name="delete_cancel"),
]
