"""Our account pages, at allauth's usual paths where allauth has one (signup, password reset);
allauth.urls, included after these in portal/urls.py, serves login, logout and password change."""

from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("signup/confirm/", views.signup_step, name="signup_step"),
    path("signup/resend/", views.signup_resend, name="signup_resend"),
    path("signup/done/", views.signup_done, name="signup_done"),
    path("signup/continue/", views.signup_continue, name="signup_continue"),
    path("activate/resend/", views.activation_resend, name="activation_resend"),
    path("activate/<str:key>/", views.activate, name="activate"),
    path("password/reset/", views.password_reset, name="password_reset"),
    path("password/reset/code/", views.password_reset_code, name="password_reset_code"),
    path("password/reset/key/<str:key>/", views.password_reset_key, name="password_reset_key"),
    path("consents/", views.consents, name="consents"),
]
