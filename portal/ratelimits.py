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
- Where a limit on one login could let strangers lock its owner out, only failures count:
  a try is counted before it is made (``reserve_failure``), so that tries sent at once
  cannot get past the limit, and forgiven when it turns out right
  (``FailureReservation.forgive``).
- A limit that cannot count (the cache, Redis, is down) refuses: ``limited`` returns a
  ``Refused`` whose ``uncountable`` is set and whose ``text()`` says so
  (``UNCOUNTABLE``), never a 500 (issue 25). A limit on sending, where a stranger gains
  nothing by going past it and the database caps each destination anyway (a password
  reset: confirmations' per-user cooldown and hourly cap), may pass ``uncountable="allow"``.
"""

import contextlib
import hashlib
import ipaddress
import time
import unicodedata

from allauth.core.internal.httpkit import get_client_ip
from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import get_usage

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


def by_user(group, request):
    """Key: tenant and the signed-in user (people behind one address do not share it)."""
    return f"{_tenant_part(request)}:user:{request.user.pk}"


def by_field(field, normalize=normalized_login):
    """Key: tenant and the normalised value of a POSTed field (a login, an INN, a phone)."""

    def key(group, request):
        return f"{_tenant_part(request)}:{normalize(request.POST.get(field, ''))}"

    return key


UNCOUNTABLE = _("Сейчас мы не можем проверить число попыток, поэтому вход и проверка кодов временно "
                "недоступны. Попробуйте через несколько минут.")


class Refused:
    """A POST refused by a limit (truthy); ``uncountable``: because the limit could not count."""

    def __init__(self, *, uncountable=False):
        self.uncountable = uncountable

    def __bool__(self):
        return True

    def text(self, over_limit):
        """What to tell the person: ``over_limit`` (the view's own words), or UNCOUNTABLE."""
        return UNCOUNTABLE if self.uncountable else over_limit


def counting_down(*, probe=False):
    """Whether the rate limits' cache is known to be down (portal.cache.RedisCache.down);
    ``probe``: ask it once when it is not known to be (a view whose limits are counted by
    code that would not say, allauth's login)."""
    cache = _limits_cache()
    if probe and not getattr(cache, "down", False):
        cache.has_key("rl:probe")  # a miss when Redis answers; marks it down when it does not
    return bool(getattr(cache, "down", False))


def _limits_cache():
    return caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]


def limited(request, group, *, rate, key=by_client, uncountable="refuse"):
    """A ``Refused`` when this POST goes over ``rate`` for its key, else None; counts it
    either way. A limit that cannot count refuses (``uncountable="allow"``: lets it pass)."""
    if request.method != "POST" or not getattr(settings, "RATELIMIT_ENABLE", True):
        return None
    usage = None if counting_down() else get_usage(
        request, group=group, key=key, rate=rate, method="POST", increment=True)
    if usage is None or counting_down():  # django-ratelimit's answer when the cache failed
        return None if uncountable == "allow" else Refused(uncountable=True)
    return Refused() if usage["should_limit"] else None


_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class FailureReservation:
    """A try counted as a failure before it was made (``reserve_failure``). ``refused``: the
    key had spent its failures already; nothing is counted then. ``forgive()`` takes the
    count back after a try that turned out right."""

    def __init__(self, cache_keys, refused, uncountable=False):
        self._cache_keys = cache_keys
        self.refused = refused
        self.uncountable = uncountable

    def text(self, over_limit):
        """What to tell the person when ``refused``: ``over_limit``, or UNCOUNTABLE."""
        return UNCOUNTABLE if self.uncountable else over_limit

    def forgive(self):
        cache = _limits_cache()
        for cache_key in self._cache_keys:
            with contextlib.suppress(ValueError):  # expired meanwhile: nothing to take back
                cache.decr(cache_key)
        self._cache_keys = []


def reserve_failure(request, *groups, rate, key=by_client):
    """reserve_failures for a view: each of ``groups`` keyed by ``key`` (one function or a
    {group: function} dict) on ``request``, all at ``rate``."""
    return reserve_failures({
        group: ((key[group] if isinstance(key, dict) else key)(group, request), rate) for group in groups
    })


def reserve_failures(limits):
    """Count this try as a failure of each group of ``limits`` ({group: (key, rate)}; the key a
    string that carries the tenant) before it is made, unless one of them has its rate's
    failures already: then nothing is counted and the reservation is ``refused``.

    Checking the count and counting a failure afterwards would leave a gap: tries sent at
    once all pass the check before any of them is counted. Here the cache's atomic
    ``incr`` counts first, so at most the rate's number of tries
    is ever made; a right answer ``forgive()``s its reservation, so that only failures
    stay counted. A cache that does not answer refuses."""
    cache = _limits_cache()
    counted = []
    for group, (key, rate) in limits.items():
        limit, period = _rate(rate)
        name = f"{group}\0{key}\0{period}\0{_window(period)}"
        cache_key = "rl:failures:" + hashlib.sha256(name.encode()).hexdigest()
        try:
            count = 1 if cache.add(cache_key, 1, period + 5) else cache.incr(cache_key)
        except Exception:  # noqa: BLE001 - expired between add and incr, or the cache is down
            count = None
        if count is not None:
            counted.append(cache_key)
        if count is None or count > limit:
            FailureReservation(counted, refused=True).forgive()
            return FailureReservation([], refused=True, uncountable=count is None)
    return FailureReservation(counted, refused=False)


def _window(period):
    """The number of the current ``period``-long window (tests hold it still)."""
    return int(time.time()) // period


def _rate(rate):
    count, _slash, unit = rate.partition("/")
    return int(count), _PERIODS[unit]
