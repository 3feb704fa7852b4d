from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("overview/", views.overview, name="overview"),
]
