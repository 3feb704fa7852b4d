"""The page shell: what a page of a tenant's site passes before its view runs, in one place.

- ``tenant_page``: the view serves a tenant's host only (the platform's host answers 404: it
  serves the tenant directory and the admin), and a signed-in user unless
  ``signed_in=False`` (Django's ``login_required``: to the login page and back).
- The gates (``PageGateMiddleware``): every request of a signed-in customer first passes
  the gates the apps declare (``GATES`` in an app's ``shell.py``; accounts' consent gate).
  A middleware rather than the decorator, because a gate guards every page, the home page
  and allauth's included, not only ours.
- ``PageRedirect``: a view that finds the user may not open the page *yet* raises it
  (billing's ``NeedsProof``, for an account the user has still to prove is theirs); the
  shell shows its message and sends the user where they can earn the access.

The kernel names no app: the apps bring their gates and menu entries (portal.navigation)
in ``<app>/shell.py``, found through the app registry (``app_shell_modules``).
"""

from functools import lru_cache, wraps
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect

from .page_cache import signed_in_page


class PageRedirect(Exception):
    """The page is not for this user yet: show ``message`` and send them to ``url`` first.
    Subclasses say where, e.g. by a ``url`` property that reverses their app's page."""

    message = ""

    def __init__(self, url=None, message=None):
        super().__init__(url)
        if url is not None:
            self.url = url
        if message is not None:
            self.message = message


def tenant_page(view=None, *, signed_in=True, kept=False):
    """A page of a tenant's host, for a signed-in user unless ``signed_in=False``; ``kept``:
    its GET is kept whole and served again while what it was built from is unchanged
    (portal.page_cache.signed_in_page), for a view whose GET only shows.

    ``@tenant_page``, ``@tenant_page(signed_in=False)`` or ``@tenant_page(kept=True)``."""
    if view is None:
        return lambda view: tenant_page(view, signed_in=signed_in, kept=kept)

    @wraps(view)
    def shell(request, *args, **kwargs):
        if request.tenant is None:
            raise Http404
        try:
            if kept:
                return signed_in_page(request, lambda: view(request, *args, **kwargs))
            return view(request, *args, **kwargs)
        except PageRedirect as refused:
            if refused.message:
                messages.info(request, refused.message)
            return redirect(refused.url)

    return login_required(shell) if signed_in else shell


def signed_in_customer(request):
    """The signed-in customer of a tenant's host (not staff), or None: whom the gates, the
    header's account switch and the menu's counters are for."""
    user = getattr(request, "user", None)
    if getattr(request, "tenant", None) is None or user is None or not user.is_authenticated or user.is_staff:
        return None
    return user


def app_shell_modules():
    """Each installed app's ``shell`` module, in INSTALLED_APPS order."""
    modules = []
    for config in apps.get_app_configs():
        name = f"{config.name}.shell"
        if find_spec(name) is not None:
            modules.append(import_module(name))
    return modules


@lru_cache(maxsize=1)
def page_gates():
    """The apps' gates, each ``gate(request) -> URL or None``: where the request must go
    before any other page of a tenant's host (None: the gate lets it through). A gate asks
    for the user (signed_in_customer) only after its own cheaper checks: most requests are
    let through on the policy alone."""
    return tuple(gate for module in app_shell_modules() for gate in getattr(module, "GATES", ()))


# What no gate stops: static files, and the development outbox (where a code to sign with is read).
UNGATED_PREFIXES = ("/static/", "/dev/outbox/")


class PageGateMiddleware:
    """Sends a request on a tenant's host to the first gate that stops it (page_gates). Must
    come after AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.tenant is not None and not request.path.startswith(UNGATED_PREFIXES):
            for gate in page_gates():
                target = gate(request)
                if target is not None:
                    return redirect(target)
        return self.get_response(request)
