from django.urls import path

from . import views

app_name = "cabinet"

urlpatterns = [
    path("overview/", views.overview, name="overview"),
    path("personal/select/", views.select, name="select"),
]
