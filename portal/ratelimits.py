"""Rate limits on the portal's own views (django-ratelimit), keyed so that clients and
tenants stay apart.

- The client is its address taken the trusted way: behind the proxy ``REMOTE_ADDR`` is the
  proxy's, shared by every client, so ``X-Forwarded-For`` is read for exactly
  ``TRUSTED_PROXY_COUNT`` proxies (allauth's ``get_client_ip``, which allauth's own limits and
  the consent records use too). ``RATELIMIT_IP_META_KEY`` points django-ratelimit at
  ``client_ip``, so even a bare ``key="ip"`` means the client.
- Every key carries the tenant: a client's attempts at one utility never count at another,
  and the same login at two tenants is two people.
- A login in a key is normalised first (``normalized_login``), so spaces, case or full-width
  digits do not make a fresh bucket.
- Where a limit on one login could let strangers lock its owner out, only failures count
  (``failures_spent`` before, ``count_failure`` after a failed try).
"""

import ipaddress
import unicodedata

from allauth.core.internal.httpkit import get_client_ip
from django.core.exceptions import ImproperlyConfigured
from django_ratelimit.core import get_usage, is_ratelimited

UNKNOWN_CLIENT = "0.0.0.0"  # noqa: S104 - a placeholder address, never bound


def client_ip(request):
    """The client's address: X-Forwarded-For behind ``TRUSTED_PROXY_COUNT`` proxies, else the
    connection's. A request with fewer forwarded hops than proxies (sent past the proxy) is
    keyed on the connection, not refused."""
    try:
        return get_client_ip(request) or UNKNOWN_CLIENT
    except ImproperlyConfigured:
        return request.META.get("REMOTE_ADDR") or UNKNOWN_CLIENT


def client_network(request):
    """The client's address for a limit: an IPv6 client owns its /64, so it counts as one."""
    address = ipaddress.ip_address(client_ip(request))
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def normalized_login(value):
    """One spelling of a typed login: compatibility forms folded (full-width letters and
    digits become ASCII), spaces dropped, lower case."""
    return "".join(unicodedata.normalize("NFKC", value or "").split()).lower()


def _tenant_part(request):
    tenant = getattr(request, "tenant", None)
    return str(tenant.pk) if tenant else "-"


def by_client(group, request):
    """Key: tenant and client address."""
    return f"{_tenant_part(request)}:{client_network(request)}"


def by_field(field, normalize=normalized_login):
    """Key: tenant and the normalised value of a POSTed field (a login, an INN, a phone)."""

    def key(group, request):
        return f"{_tenant_part(request)}:{normalize(request.POST.get(field, ''))}"

    return key


def limited(request, group, *, rate, key=by_client):
    """True when this POST goes over ``rate`` for its key; counts it either way."""
    if request.method != "POST":
        return False
    return is_ratelimited(request, group=group, key=key, rate=rate, method="POST", increment=True)


def failures_spent(request, group, *, rate, key=by_client):
    """True when this key has already had ``rate``'s number of failures: for limits that
    count only failed tries (counted with ``count_failure``), so the person who gets it
    right is never refused for what strangers tried before."""
    usage = get_usage(request, group=group, key=key, rate=rate, increment=False)
    return usage is not None and usage["count"] >= usage["limit"]


def count_failure(request, group, *, rate, key=by_client):
    get_usage(request, group=group, key=key, rate=rate, increment=True)
