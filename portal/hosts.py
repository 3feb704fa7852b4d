"""Which tenant a host belongs to: parsed once per request (the way Zulip parses its realm).

- ``<slug>.<PORTAL_DOMAIN>``: that tenant;
- a tenant's own domain (TenantDomain): that tenant;
- ``PORTAL_DOMAIN`` itself: the platform (the tenant directory, superusers' admin);
- anything else: unknown, answered with 404.
"""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http.request import split_domain_port

from .models import ConsentDocument, Tenant, TenantDomain, TenantPolicy


class UnknownHost(Exception):
    """No tenant and not the platform: the middleware answers 404."""


@dataclass(frozen=True)
class HostMatch:
    tenant: Tenant | None  # None: the platform's own host
    # The generation the tenant was found under: what else is kept of the tenant's
    # configuration (portal.page_cache) is current only under the same one.
    generation: str | None = None


def strip_port(host):
    """The host name of a Host header: lower case, without the port and the trailing dot of
    a fully qualified name ("RGMEK.localhost.:8000" -> "rgmek.localhost"); "" when it is not
    a valid host. Django's own parser, the one request.get_host() validates with."""
    domain, _port = split_domain_port(host.strip())
    return domain


def resolve_host(host):
    """HostMatch for ``host`` (a Host header, port allowed), or raise UnknownHost.

    A known tenant's host costs no query once cached (see ``_cached_tenant``)."""
    name = strip_port(host)
    if not name:
        raise UnknownHost(host)
    if name == settings.PORTAL_DOMAIN:
        return HostMatch(tenant=None)
    tenant, generation = _cached_tenant(name)
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
# its policy loaded with it, under the current *generation*: a random token that every
# change of a Tenant, TenantDomain, TenantPolicy or ConsentDocument replaces (forget_tenants,
# connected to their signals in portal.apps). An entry of another generation is never used, so a change
# is seen by the next request of every process; a random token, not a counter, so that a
# generation key lost from the cache cannot come back with the number of older entries.
# One round trip reads the generation and the entry together. Unknown hosts are not
# cached (anyone can send any Host header); they cost the query they always did.
GENERATION_KEY = "portal:hosts:generation"
ENTRY_TIMEOUT = 300  # seconds; a backstop for changes that bypass signals (QuerySet.update)


def _entry_key(name):
    return f"portal:hosts:tenant:{name}"


def _cached_tenant(name):
    key = _entry_key(name)
    found = cache.get_many([GENERATION_KEY, key])
    generation = found.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
        generation = cache.get(GENERATION_KEY)
    entry = found.get(key)
    if entry is not None and entry[0] == generation:
        return entry[1], generation
    tenant = _tenant_from_database(name)
    if tenant is not None:
        cache.set(key, (generation, tenant), timeout=ENTRY_TIMEOUT)
    return tenant, generation


def forget_tenants():
    """Make every process load tenants afresh on their next request. Called on every save
    and delete of a Tenant, TenantDomain, TenantPolicy or ConsentDocument; call it after
    changing them with QuerySet.update() or raw SQL.

    Now, for the rest of this transaction (its own connection sees the change at once),
    and again after commit: a request of another process that read the old rows before the
    commit may have cached them under the generation started now."""
    _new_generation()
    transaction.on_commit(_new_generation)


def _new_generation():
    cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)


def _on_change(sender, **kwargs):
    forget_tenants()


def watch_tenant_changes():
    """Connect forget_tenants to the saves and deletes of what a host resolves to
    (PortalConfig.ready), and of the consent documents, which the signup pages kept under
    the generation show (portal.page_cache)."""
    for model in (Tenant, TenantDomain, TenantPolicy, ConsentDocument):
        post_save.connect(_on_change, sender=model, dispatch_uid=f"portal.hosts.forget:{model.__name__}:save")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"portal.hosts.forget:{model.__name__}:delete")


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
