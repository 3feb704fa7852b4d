from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("settings/subscriptions/", views.subscriptions, name="subscriptions"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
