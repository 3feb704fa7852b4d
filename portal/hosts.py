"""Which tenant a host belongs to: parsed once per request (the way Zulip parses its realm).

- ``<slug>.<PORTAL_DOMAIN>``: that tenant;
- a tenant's own domain (TenantDomain): that tenant;
- ``PORTAL_DOMAIN`` itself: the platform (the tenant directory, superusers' admin);
- anything else: unknown, answered with 404.
"""

from dataclasses import dataclass

from django.conf import settings
from django.http.request import split_domain_port

from . import versions
from .models import Tenant


class UnknownHost(Exception):
    """No tenant and not the platform: the middleware answers 404."""


@dataclass(frozen=True)
class HostMatch:
    tenant: Tenant | None  # None: the platform's own host
    # The generation the tenant was found under: what else is kept of the tenant's
    # configuration (portal.page_cache) is current only under the same one.
    generation: int | None = None


def strip_port(host):
    """The host name of a Host header: lower case, without the port and the trailing dot of
    a fully qualified name ("RGMEK.localhost.:8000" -> "rgmek.localhost"); "" when it is not
    a valid host. Django's own parser, the one request.get_host() validates with."""
    domain, _port = split_domain_port(host.strip())
    return domain


def resolve_host(host, *, also=()):
    """HostMatch for ``host`` (a Host header, port allowed), or raise UnknownHost.

    A known tenant's host costs no query once cached (see ``_cached_tenant``). ``also``: other
    cache keys to read in the same round trip (the session's: portal.sessions)."""
    name = strip_port(host)
    if not name:
        raise UnknownHost(host)
    if name == settings.PORTAL_DOMAIN:
        return HostMatch(tenant=None)
    tenant, generation = _cached_tenant(name, also)
    if tenant is None:
        raise UnknownHost(name)
    return HostMatch(tenant=tenant, generation=generation)


def _tenant_from_database(name):
    tenants = Tenant.objects.select_related("policy").filter(is_active=True)
    suffix = "." + settings.PORTAL_DOMAIN
    if name.endswith(suffix) and "." not in name[: -len(suffix)]:
        return tenants.filter(slug=name[: -len(suffix)]).first()
    return tenants.filter(domains__domain=name).first()


# The cache (Redis in production, shared by every process) keeps each tenant host's Tenant,
# its policy loaded with it, under the version of scope HOSTS (portal.versions): one version
# for all tenants, bumped by every write of a Tenant, TenantDomain, TenantPolicy or
# ConsentDocument (declared in portal.versions, update() included), so a change is seen by the
# next request of every process. One round trip reads the version and the entry. Unknown
# hosts are not cached (anyone can send any Host header); they cost the query they always did.
# It pays (bench/caches.py at gaz, 100,000 accounts, 2026-12-06, one round at load 7.9–9.4, so
# rough): with it off, five pages fell to 1/2.1 of their share of the bare view (median;
# 1.7–2.2× each). Keep.
HOSTS = "portal.hosts"
GENERATION_KEY = versions.version_key(HOSTS)
ENTRY_TIMEOUT = 300  # seconds; a backstop for raw SQL, which no declaration sees


def _entry_key(name):
    return f"portal:hosts:tenant:{name}"


def _cached_tenant(name, also=()):
    key, version_key = _entry_key(name), GENERATION_KEY
    found = versions.prefetch([version_key, key, *also])
    generation = versions.current([version_key], found)[0]
    tenant = versions.stored(key, [version_key], found)
    if tenant is None:
        tenant = _tenant_from_database(name)
        if tenant is not None:
            versions.store(key, [version_key], found, tenant, timeout=ENTRY_TIMEOUT)
    return tenant, generation


def forget_tenants():
    """Make every process load tenants afresh on their next request: for raw SQL (every
    ORM write of what a host resolves to bumps the version by itself)."""
    versions.bump(HOSTS)


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
