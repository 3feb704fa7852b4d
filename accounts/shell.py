"""What accounts puts into the page shell (portal.pages): the consent gate, and the menu's
entries for signing in, signing up and the profile."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.navigation import MenuEntry
from portal.pages import signed_in_customer

from .services import consent_gate_passes

# Pages a user who still has to sign a consent may open.
CONSENT_GATE_OPEN = ("/accounts/consents/", "/accounts/logout/")


def consent_gate(request):
    """Guide 004: after the first login the customer reads and signs the consent before any
    other page. Only tenants whose policy asks for it pay for the check: a cache read, and a
    query once per session (services.consent_gate_passes)."""
    if not request.tenant.policy.consent_after_first_login or request.path.startswith(CONSENT_GATE_OPEN):
        return None
    user = signed_in_customer(request)
    if user is None or consent_gate_passes(user=user, session=request.session):
        return None
    return reverse("accounts:consents")


GATES = (consent_gate,)

MENU = (
    MenuEntry(30, "account_login", _("Вход"), signed_in=False),
    MenuEntry(40, "accounts:signup", _("Регистрация"), signed_in=False),
    # «Мои подписки» (notifications) is a page of the profile, not an entry of its own.
    MenuEntry(16, "accounts:profile", _("Профиль"), signed_in=True, also=("notifications:subscriptions",)),
)
