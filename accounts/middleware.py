from django.shortcuts import redirect
from django.urls import reverse

from .services import consents_pending

# Pages a user who still has to sign a consent may open.
ALLOWED_PREFIXES = ("/accounts/consents/", "/accounts/logout/", "/static/", "/dev/outbox/")


class ConsentGateMiddleware:
    """Guide 004: after the first login the user reads and signs the consent before any
    other page. Only tenants whose policy asks for it pay the one query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user, tenant = request.user, request.tenant
        if (
            tenant is not None
            and tenant.policy.consent_after_first_login
            and user.is_authenticated
            and not user.is_staff
            and not request.path.startswith(ALLOWED_PREFIXES)
            and consents_pending(user=user)
        ):
            return redirect(reverse("accounts:consents"))
        return self.get_response(request)
