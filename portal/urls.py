from django.contrib import admin
from django.urls import include, path

from accounts.urls import allauth_urlpatterns

from . import views

portal_patterns = [
    path("", views.home, name="home"),
    path("support/", views.support, name="support"),
    path("dev/outbox/", views.dev_outbox, name="dev_outbox"),
]

urlpatterns = [
    path("", include((portal_patterns, "portal"))),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include(allauth_urlpatterns)),
    path("", include("cabinet.urls")),
    path("", include("billing.urls")),
    path("", include("meters.urls")),
    path("", include("payments.urls")),
    path("", include("appeals.urls")),
    path("", include("notifications.urls")),
    path("", include("privacy.urls")),
    path("captcha/", include("captcha.urls")),
    path("admin/", admin.site.urls),
]
