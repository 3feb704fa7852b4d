from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.functional import LazyObject, empty
from django_scopes import scopes_disabled

from . import versions
from .hosts import UnknownHost, resolve_host
from .sessions import session_cache_keys
from .scoping import tenant_scope


# What the platform's own host serves: the tenant directory and the superusers' admin.
PLATFORM_PATH_PREFIXES = ("/admin/", "/static/", "/dev/outbox/")


def _is_platform_path(path):
    return path == "/" or path.startswith(PLATFORM_PATH_PREFIXES)


class TenantMiddleware:
    """Sets ``request.tenant`` from the host and runs the request inside that tenant's scope.

    Dates and times render in the tenant's time zone (``Tenant.time_zone``); on the platform's
    host, in ``TIME_ZONE``.

    An unknown host gets a 404 page before anything else runs. On the platform's own host
    ``request.tenant`` is None and the scope is the platform: only rows without a tenant
    (platform superusers) are visible.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # What the request reads from the cache is kept for it (portal.versions), and the
        # session is read with the host (portal.sessions): one round trip for both, and for
        # what the same session's last GET of the address read next (read-ahead).
        with versions.request_scope(hint=_read_ahead_hint(request)):
            return self._call(request)

    def _call(self, request):
        try:
            match = resolve_host(request.get_host(), also=session_cache_keys(request))
        except UnknownHost:
            request.tenant = None
            request.tenant_generation = None
            return render(request, "portal/host_not_found.html", {"host": request.get_host()}, status=404)
        request.tenant = match.tenant
        request.tenant_generation = match.generation
        if match.tenant is None and not _is_platform_path(request.path_info):
            raise Http404("Accounts live on tenant hosts.")
        # Times on a tenant's pages, the admin's included, read in the tenant's own zone.
        with tenant_scope(match.tenant), timezone.override(match.tenant.zone if match.tenant else None):
            return self.get_response(request)


def _read_ahead_hint(request):
    """What names a GET of a session for read-ahead (portal.versions): a hash of its host,
    session cookie and address, so that no session key is kept in memory (two requests
    sharing a hash only read each other's keys ahead, never use them)."""
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if request.method != "GET" or not session_key:
        return None
    return hash((request.META.get("HTTP_HOST", ""), session_key, request.get_full_path()))


class ResolvedUserMiddleware:
    """``request.user`` as the user itself, not behind Django's and django-otp's lazy
    wrappers, for a request with a session: every page of one reads the user many times
    (the layout, the gates, the view), and each read through two proxies cost about 3 % of
    a signed-in page's CPU (docs/performance.md). Without a session cookie it stays lazy:
    an anonymous page that never asks builds nothing. After django-otp's middleware (whose
    wrapper marks the user verified or not) and allauth's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.SESSION_COOKIE_NAME in request.COOKIES and hasattr(request, "user"):
            request.user = _unwrapped(request.user)
        return self.get_response(request)


def _unwrapped(value):
    while isinstance(value, LazyObject):
        if value._wrapped is empty:
            value._setup()
        value = value._wrapped
    return value


class PlatformSuperuserMiddleware:
    """Platform superusers, on the platform's host, see every tenant (the admin for all).

    Must come after AuthenticationMiddleware. Tenant hosts never get here with a superuser:
    their scope cannot load a user without that tenant.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.tenant is None and request.user.is_superuser:
            with scopes_disabled():
                return self.get_response(request)
        return self.get_response(request)


class RequestLimitsMiddleware:
    """Refuses before anything reads the body: a body larger than the path allows (413; Django
    would spool any size of upload to disk before a form could say no), and a query string
    with a NUL character (400; PostgreSQL stores none, so an admin filter on one was a 500)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponseBadRequest("Bad Content-Length", content_type="text/plain")
        limit = settings.MAX_ADMIN_REQUEST_BYTES if request.path.startswith("/admin/") else settings.MAX_REQUEST_BYTES
        if length > limit:
            return HttpResponse("Request body too large", status=413, content_type="text/plain")
        if "\x00" in request.META.get("QUERY_STRING", "") or "%00" in request.META.get("QUERY_STRING", ""):
            return HttpResponseBadRequest("NUL in the query string", content_type="text/plain")
        return self.get_response(request)


class PrivateResponseMiddleware:
    """``Cache-Control: private, no-store`` on every response to a signed-in user, and to
    anyone whose request carries a session or whose response starts or ends one (half-way
    through a registration or a login's second step, a login, a logout).

    A person's pages and downloads (the overview, invoices, receipts, the history and its
    CSV, meters, payments, appeals and their files, the profile, the data export) must stay
    out of every cache between the server and the person, and out of the browser's disk
    cache, where the next user of a shared computer would find them. Here once, for every
    view, instead of each view remembering (portal/tests/test_private_pages.py walks the
    URLs). Visitors without a session get their pages as before: the kept anonymous pages
    (portal.page_cache) are served only to them, and this adds nothing to those.

    Sits outside SessionMiddleware, so that it sees the session cookie the response sets
    or deletes; it reads ``request.user`` on the way out, once AuthenticationMiddleware has
    set it (a response made before that, a redirect of CommonMiddleware, has none)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if self._is_personal(request, response):
            patch_cache_control(response, private=True, no_store=True)
        return response

    @staticmethod
    def _is_personal(request, response):
        cookie = settings.SESSION_COOKIE_NAME
        if cookie in request.COOKIES or cookie in response.cookies:
            return True
        user = getattr(request, "user", None)
        return user is not None and user.is_authenticated
