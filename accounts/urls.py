"""The account pages the portal serves, and nothing else.

Ours (namespace ``accounts``) are registration, activation, recovery, consents and the
profile (a new phone or e-mail proven by code or link, not allauth's e-mail management). Of
allauth's pages only login, logout, password change and the "account inactive" notice are
routed, under the names allauth reverses; its e-mail management, password "set",
reauthentication and login-by-code pages are not served (docs/accounts.md, "Routes").
"""

from allauth.account import views as allauth_views
from django.urls import path

from portal.page_cache import anonymous_page

from . import views
from .profile import views as profile_views

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
    path("profile/", profile_views.profile, name="profile"),
    path("profile/phone/", profile_views.profile_phone, name="profile_phone"),
    path("profile/phone/confirm/", profile_views.profile_phone_confirm, name="profile_phone_confirm"),
    path("profile/phone/resend/", profile_views.profile_phone_resend, name="profile_phone_resend"),
    path("profile/email/", profile_views.profile_email, name="profile_email"),
    path("profile/email/<str:key>/", profile_views.profile_email_confirm, name="profile_email_confirm"),
]

# allauth's views, without a namespace: allauth reverses these names itself.
allauth_urlpatterns = [
    path("login/", anonymous_page(views.login), name="account_login"),
    path("logout/", allauth_views.logout, name="account_logout"),
    path("password/change/", views.password_change, name="account_change_password"),
    path("inactive/", views.account_inactive, name="account_inactive"),
]
