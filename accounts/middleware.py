from django.shortcuts import redirect
from django.urls import reverse

from .services import consent_gate_passes

# Pages a user who still has to sign a consent may open.
ALLOWED_PREFIXES = ("/accounts/consents/", "/accounts/logout/", "/static/", "/dev/outbox/")


class ConsentGateMiddleware:
    """Guide 004: after the first login the user reads and signs the consent before any
    other page. Only tenants whose policy asks for it pay for the check: a cache read, and
    a query once per session (services.consent_gate_passes)."""

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
            and not consent_gate_passes(user=user, session=request.session)
        ):
            return redirect(reverse("accounts:consents"))
        return self.get_response(request)
