"""Every URL the project serves is one we meant to serve.

Including a library's whole URL module once made allauth's e-mail management reachable: a
user could add an address, make it primary and so change the login and recovery channel.
A route appears here only after someone decided the portal serves it.
"""

from django.urls import URLResolver, get_resolver

EXPECTED_ROUTES = {
    "": "home",
    "support/": "support",
    "dev/outbox/": "dev_outbox",
    "accounts/signup/": "signup",
    "accounts/signup/confirm/": "signup_step",
    "accounts/signup/resend/": "signup_resend",
    "accounts/signup/done/": "signup_done",
    "accounts/signup/continue/": "signup_continue",
    "accounts/activate/resend/": "activation_resend",
    "accounts/activate/<str:key>/": "activate",
    "accounts/password/reset/": "password_reset",
    "accounts/password/reset/code/": "password_reset_code",
    "accounts/password/reset/key/<str:key>/": "password_reset_key",
    "accounts/consents/": "consents",
    "accounts/profile/": "profile",
    "accounts/profile/phone/": "profile_phone",
    "accounts/profile/phone/confirm/": "profile_phone_confirm",
    "accounts/profile/phone/resend/": "profile_phone_resend",
    "accounts/profile/email/": "profile_email",
    "accounts/profile/email/<str:key>/": "profile_email_confirm",
    # allauth's, under the names allauth reverses
    "accounts/login/": "account_login",
    "accounts/logout/": "account_logout",
    "accounts/password/change/": "account_change_password",
    "accounts/inactive/": "account_inactive",
    # cabinet: the signed-in customer's overview, the header's account switch, and the menu's
    # ways to the current account's pay, readings and invoices pages
    "overview/": "overview",
    "personal/select/": "select",
    "pay/": "pay",
    "readings/": "readings",
    "invoices/": "invoices",
    # billing: the signed-in customer's pages
    "personal/link/": "link",
    "personal/<str:account_id>/unlink/": "unlink",
    "personal/<str:account_id>/extended/": "extended_access",
    "personal/<str:account_id>/invoices/": "invoices",
    "personal/<str:account_id>/history/": "history",
    "invoices/<int:invoice_id>/receipt/": "invoice_receipt",
    "invoices/<int:invoice_id>/receipt/wait/": "invoice_receipt_wait",
    "invoices/<int:invoice_id>/receipt/status/": "invoice_receipt_status",
    # meters: the signed-in customer's meter page
    "personal/<str:account_id>/meters/<int:meter_id>/": "meter",
    "personal/<str:account_id>/readings/": "readings",
    # payments: the customer's pages, providers' notifications, the sandbox provider's pages
    "personal/<str:account_id>/pay/": "pay",
    "personal/<str:account_id>/payments/": "history",
    "payments/<uuid:public_id>/confirm/": "confirm",
    "payments/<uuid:public_id>/": "status",
    "payments/notify/<str:provider_account_id>/": "notify",
    "sandbox-pay/<str:payment_id>/": "sandbox_page",
    "sandbox-pay/api/payments/<str:payment_id>/": "sandbox_api_payment",
    # appeals: the customer's appeals, questions to support and applications
    "appeals/": "list",
    "appeals/new/": "new",
    "appeals/<uuid:public_id>/": "detail",
    "appeals/<uuid:public_id>/reopen/": "reopen",
    "appeals/files/<int:attachment_id>/": "attachment",
    "support/question/": "support_question",
    "applications/": "applications",
    "applications/contract/": "application_contract",
    "applications/<uuid:public_id>/contract/": "application_contract",
    "applications/grid/": "application_grid",
    "applications/<uuid:public_id>/grid/": "application_grid",
    "applications/<uuid:public_id>/documents/": "application_documents",
    "applications/<uuid:public_id>/submit/": "application_submit",
    # notifications: «Мои подписки» and the e-mails' one-click unsubscribe
    "settings/subscriptions/": "subscriptions",
    "unsubscribe/<str:token>/": "unsubscribe",
    # privacy: the person's own data (152-FZ) and the request to delete the account
    "privacy/data/": "data",
    "privacy/delete/": "delete_request",
    "privacy/delete/cancel/": "delete_cancel",
    # django-simple-captcha
    r"captcha/image/(?P<key>\w+)/$": "captcha-image",
    r"captcha/image/(?P<key>\w+)@2/$": "captcha-image-2x",
    r"captcha/audio/(?P<key>\w+).wav$": "captcha-audio",
    r"captcha/refresh/$": "captcha-refresh",
}


def served_routes(patterns=None, prefix=""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from served_routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def test_the_project_serves_only_the_routes_it_means_to():
    # admin/ is the admin site's own (a change list and forms per registered model, each
    # checked by portal/tests/test_admin_isolation.py).
    served = {route: pattern.name for route, pattern in served_routes() if not route.startswith("admin/")}
    assert served == EXPECTED_ROUTES
