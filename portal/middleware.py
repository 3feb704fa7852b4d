from django.http import Http404
from django.shortcuts import render
from django_scopes import scopes_disabled

from .hosts import UnknownHost, resolve_host
from .scoping import tenant_scope


# What the platform's own host serves: the tenant directory and the superusers' admin.
PLATFORM_PATH_PREFIXES = ("/admin/", "/static/", "/dev/outbox/")


def _is_platform_path(path):
    return path == "/" or path.startswith(PLATFORM_PATH_PREFIXES)


class TenantMiddleware:
    """Sets ``request.tenant`` from the host and runs the request inside that tenant's scope.

    An unknown host gets a 404 page before anything else runs. On the platform's own host
    ``request.tenant`` is None and the scope is the platform: only rows without a tenant
    (platform superusers) are visible.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            match = resolve_host(request.get_host())
        except UnknownHost:
            request.tenant = None
            return render(request, "portal/host_not_found.html", {"host": request.get_host()}, status=404)
        request.tenant = match.tenant
        if match.tenant is None and not _is_platform_path(request.path_info):
            raise Http404("Accounts live on tenant hosts.")
        with tenant_scope(match.tenant):
            return self.get_response(request)


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
