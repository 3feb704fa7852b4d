"""Which tenant a host belongs to: parsed once per request (the way Zulip parses its realm).

- ``<slug>.<PORTAL_DOMAIN>``: that tenant;
- a tenant's own domain (TenantDomain): that tenant;
- ``PORTAL_DOMAIN`` itself: the platform (the tenant directory, superusers' admin);
- anything else: unknown, answered with 404.
"""

from dataclasses import dataclass

from django.conf import settings
from django.http.request import split_domain_port

from .models import Tenant


class UnknownHost(Exception):
    """No tenant and not the platform: the middleware answers 404."""


@dataclass(frozen=True)
class HostMatch:
    tenant: Tenant | None  # None: the platform's own host


def strip_port(host):
    """The host name of a Host header: lower case, without the port and the trailing dot of
    a fully qualified name ("RGMEK.localhost.:8000" -> "rgmek.localhost"); "" when it is not
    a valid host. Django's own parser, the one request.get_host() validates with."""
    domain, _port = split_domain_port(host.strip())
    return domain


def resolve_host(host):
    """HostMatch for ``host`` (a Host header, port allowed), or raise UnknownHost."""
    name = strip_port(host)
    if not name:
        raise UnknownHost(host)
    platform_domain = settings.PORTAL_DOMAIN
    tenants = Tenant.objects.select_related("policy").filter(is_active=True)
    if name == platform_domain:
        return HostMatch(tenant=None)
    suffix = "." + platform_domain
    if name.endswith(suffix) and "." not in name[: -len(suffix)]:
        tenant = tenants.filter(slug=name[: -len(suffix)]).first()
    else:
        tenant = tenants.filter(domains__domain=name).first()
    if tenant is None:
        raise UnknownHost(name)
    return HostMatch(tenant=tenant)


def tenant_base_url(tenant, *, scheme=None, port=None):
    """The address of a tenant's portal, e.g. http://rgmek.localhost:8000."""
    return _base_url(f"{tenant.slug}.{settings.PORTAL_DOMAIN}", scheme=scheme, port=port)


def platform_base_url(*, scheme=None, port=None):
    """The address of the platform's own host (the tenant directory), e.g. http://localhost:8000."""
    return _base_url(settings.PORTAL_DOMAIN, scheme=scheme, port=port)


def _base_url(host, *, scheme, port):
    scheme = scheme or settings.PORTAL_SCHEME
    port = settings.PORTAL_PORT if port is None else str(port)
    default_port = {"http": "80", "https": "443"}[scheme]
    return f"{scheme}://{host}:{port}" if port and port != default_port else f"{scheme}://{host}"
