from django.urls import path

from . import views

app_name = "meters"

urlpatterns = [
    path("personal/<str:account_id>/meters/<int:meter_id>/", views.meter, name="meter"),
    path("personal/<str:account_id>/readings/", views.readings, name="readings"),
]
