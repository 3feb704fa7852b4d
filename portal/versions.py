"""Versioned caches: what is kept about an object is current only under the object's version.

A *scope* names a kind of object whose changes make cached things stale (``"portal.hosts"``,
``"billing.account"``, ``"accounts.user"``…). Each object of a scope has a *version*: a random
token in the cache (Redis, shared by every process) under ``<app>:versions:<name>:<id>``. What is
cached about objects is stored with the versions it was built under (``cached``) and used only
while they are all still current, so replacing one version (``bump``) makes every entry built
under the old one stale for every process at once: pretix's ObjectRelatedCache, with a token
read beside the entry instead of a key prefix, so that one round trip reads both. Tokens, not
counters: a version lost from the cache (evicted, Redis restarted empty) cannot come back with
the value older entries carry.

Versions are bumped in one place: the declarations in each app's ``versions.py`` (``WATCHES``:
``Watch(model, scope, key)``; ``SIGNALS``: ``OnSignal(signal, scope, key)``; and ``PER_USER``,
what a signed-in request reads, see ``user_keys``), next to the models they watch, found
through the app registry (``install``, from PortalConfig.ready). A watch is connected to
post_save and post_delete, and to the write paths that send no signal:
``QuerySet.update()`` and ``bulk_create()`` of a watched model (``bulk_update`` goes through
update) are wrapped here, once, so a change made by a command or a service with update() is
seen by every process on its next request (issue 25). Raw SQL is not seen: its caller calls
``bump``; entries expire anyway, as a backstop.

A bump happens now, for the rest of the transaction (whose own connection sees the change),
and again after commit: a request of another process that read the old rows before the commit
may have cached them under the version started by the first bump.
"""

import os
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from importlib import import_module
from importlib.util import find_spec

from django.core.cache import cache
from django.db import transaction
from django.db.models import Model, QuerySet
from django.db.models.signals import post_delete, post_save


def version_key(scope, object_id=None):
    """``"billing.account", 5`` -> "billing:versions:account:5": under the app's own prefix."""
    app, _dot, name = scope.partition(".")
    return f"{app}:versions:{name}" if object_id is None else f"{app}:versions:{name}:{object_id}"


def _token():
    # A random integer: Django's Redis serializer stores an int as its digits and reads it
    # back without pickle (a signed-in page reads six versions: 3 µs each as pickled text).
    return secrets.randbits(62)


# For bench/caches.py only, which measures what each cache buys: the caches named in
# PORTAL_CACHES_OFF (comma-separated: hosts, session-user, links, fragments, unread, kept) are
# not used: every request builds what they would keep. Never set in production.
CACHES_OFF = frozenset(filter(None, os.environ.get("PORTAL_CACHES_OFF", "").split(",")))
_OFF_PREFIXES = {"hosts": ("portal:hosts:",), "session-user": ("accounts:session-user:",),
                 "links": ("billing:fragment:links:",), "fragments": ("billing:fragment:",),
                 "unread": ("appeals:unread:",)}


def cache_off(name):
    return name in CACHES_OFF


def _off(entry_key):
    return bool(CACHES_OFF) and any(
        entry_key.startswith(_OFF_PREFIXES.get(name, ())) and not (
            name == "fragments" and entry_key.startswith(_OFF_PREFIXES["links"]))
        for name in CACHES_OFF)


# What one request has read from the cache already (``prefetch``), so that a later reader of
# the same key makes no round trip: the host's entry and the session together, then the
# user's row, links and unread counter together (docs/performance.md: each round trip is
# CPU of the worker and of Redis). Only inside ``request_scope`` (TenantMiddleware); every
# write through this module updates it, so a request sees its own bumps.
_request = threading.local()

# Read-ahead: the keys the last GET of one session and address asked for after its first
# round trip (the user's row, links, the page's fragments), kept per process and read in
# the next such request's first round trip, with the host and the session: a signed-in page
# seen before costs one round trip instead of three (docs/performance.md). Only the keys'
# names are kept; a value read ahead is used only where code asks for its key, so a stale
# hint costs bytes read, never a wrong page. Bounded: the least recently used go first (so a
# session asking for many addresses pushes out others' hints: it costs them speed, nothing else).
HINTS_KEPT = 10_000
_hints = OrderedDict()
_hints_lock = threading.Lock()


@contextmanager
def request_scope(hint=None):
    """What the request reads is kept for it (see above). ``hint``: what names the request
    for read-ahead (a session and an address), or None."""
    _request.found, _request.asked = {}, None
    _request.seen, _request.bumped = {}, False
    if hint is not None:
        with _hints_lock:
            _request.ahead = _hints.get(hint, ())
            if _request.ahead:
                _hints.move_to_end(hint)
    else:
        _request.ahead = ()
    try:
        yield
    finally:
        _learn(hint, _request.asked)
        _request.found = _request.asked = _request.seen = None


def _learn(hint, asked):
    if hint is None or asked is None:
        return
    with _hints_lock:
        if asked:
            _hints[hint] = tuple(asked)
            _hints.move_to_end(hint)
            while len(_hints) > HINTS_KEPT:
                _hints.popitem(last=False)
        else:
            _hints.pop(hint, None)


def _read_ahead():
    return getattr(_request, "found", None)


def read_so_far():
    """The versions this request has read (version key -> token), and whether it bumped
    any: what a page built in it depends on (portal.page_cache.signed_in_page). ({}, True)
    outside a request: nothing to build on."""
    seen = getattr(_request, "seen", None)
    if seen is None:
        return {}, True
    return dict(seen), _request.bumped


def prefetch(keys):
    """Read ``keys`` in one round trip (those this request has not read yet) and return what
    the cache holds of all of them; kept for the rest of the request. The request's first
    call also reads what its hint says it will ask for next."""
    known = _read_ahead()
    if known is None:
        return cache.get_many(list(dict.fromkeys(keys)))
    if _request.asked is None:  # the first round trip: what comes next, read ahead
        _request.asked = {}
        wanted = [*keys, *_request.ahead]
    else:
        _request.asked.update(dict.fromkeys(keys))
        wanted = keys
    missing = [key for key in dict.fromkeys(wanted) if key not in known]
    if missing:
        found = cache.get_many(missing)
        known.update({key: found.get(key) for key in missing})
    return {key: known[key] for key in keys if known.get(key) is not None}


def prefetched(key):
    """(True, value) when this request read ``key`` already (value None: not in the cache),
    else (False, None)."""
    known = _read_ahead()
    if known is None or key not in known:
        return False, None
    return True, known[key]


def _remember(values):
    known = _read_ahead()
    if known is not None:
        known.update(values)


def current(keys, found):
    """The versions under ``keys`` (version_key), in order, given what one ``get_many`` found;
    a missing one is started (``add``: two processes starting it agree on one token)."""
    versions = []
    for key in keys:
        version = found.get(key)
        if version is None:
            cache.add(key, _token(), timeout=None)
            version = cache.get(key)
            _remember({key: version})
        versions.append(version)
    seen = getattr(_request, "seen", None)
    if seen is not None:
        seen.update(zip(keys, versions))
    return tuple(versions)


def version(scope, object_id=None):
    """One object's current version: what a caller keeps (in a session, say) to know later
    whether the object changed since."""
    key = version_key(scope, object_id)
    return current([key], prefetch([key]))[0]


@dataclass(frozen=True)
class Entry:
    """One cached thing asked for (``cached_many``): stored under ``key``, current while the
    objects ``scopes`` (pairs of scope and id) keep their versions; ``build()`` makes it (a
    picklable value) when it is not."""

    key: str
    scopes: tuple
    build: Callable[[], object]
    timeout: int = 3600

    def version_keys(self):
        return [version_key(scope, object_id) for scope, object_id in self.scopes]


def cached(key, *, scopes, build, timeout=3600):
    """The value under ``key`` if it was built under the current versions of ``scopes``, else
    ``build()``, stored for next time. One round trip to the cache when it is current."""
    return cached_many(Entry(key, tuple(scopes), build, timeout))[0]


def cached_many(*entries):
    """Several entries in one round trip (none for what the request read already): their
    values, in order."""
    version_keys = [entry.version_keys() for entry in entries]
    found = prefetch([key for keys in version_keys for key in keys] + [entry.key for entry in entries])
    values = []
    for entry, keys in zip(entries, version_keys):
        versions = current(keys, found)
        stored = None if _off(entry.key) else found.get(entry.key)
        if stored is not None and stored[0] == versions:
            values.append(stored[1])
            continue
        value = entry.build()
        if not _off(entry.key):
            cache.set(entry.key, (versions, value), timeout=entry.timeout)
            _remember({entry.key: (versions, value)})
        values.append(value)
    return values


def stored(entry_key, version_keys, found):
    """The value of an entry read by someone else's ``get_many`` (with its version keys), or
    None when it is missing or stale."""
    value = None if _off(entry_key) else found.get(entry_key)
    if value is None or value[0] != current(version_keys, found):
        return None
    return value[1]


def store(entry_key, version_keys, found, value, timeout=3600):
    stored = (current(version_keys, found), value)
    if _off(entry_key):
        return
    cache.set(entry_key, stored, timeout=timeout)
    _remember({entry_key: stored})


def put(key, value, timeout):
    """Store ``value`` under ``key``; the rest of the request reads it without a round trip."""
    cache.set(key, value, timeout=timeout)
    _remember({key: value})


def bump(scope, object_ids=(None,)):
    """Every entry cached under the versions of these objects of ``scope`` is stale: now, and
    again after commit (see the module's docstring)."""
    keys = [version_key(scope, object_id) for object_id in object_ids]
    if not keys:
        return

    if getattr(_request, "seen", None) is not None:
        _request.bumped = True

    def replace():
        tokens = {key: _token() for key in keys}
        cache.set_many(tokens, timeout=None)
        _remember(tokens)

    replace()
    transaction.on_commit(replace)


# --- declarations -------------------------------------------------------------------------

@dataclass(frozen=True)
class Watch:
    """Saves and deletes (and update(), bulk_create()) of ``model`` bump the version of the
    object of ``scope`` named by the row's ``key``: a field path ("tenant_id",
    "meter__account_id"), or None for a scope with one version (``version_key(scope)``)."""

    model: type[Model]
    scope: str
    key: str | None = None

    def ids_of(self, instance):
        if self.key is None:
            return [None]
        value = instance
        for part in self.key.split("__"):
            value = getattr(value, part, None)
            if value is None:
                return []
        return [value]

    def ids_of_rows(self, queryset, changed):
        """Before ``queryset.update(**changed)``: the objects it changes, and those it moves rows to."""
        if self.key is None:
            return [None]
        ids = set(queryset.order_by().values_list(self.key, flat=True).distinct())
        if self.key in changed or self.key.removesuffix("_id") in changed:
            new = changed.get(self.key, changed.get(self.key.removesuffix("_id")))
            ids.add(getattr(new, "pk", new))
        return sorted(ids - {None}, key=str)


@dataclass(frozen=True)
class OnSignal:
    """``signal`` bumps the objects of ``scope`` that ``key(**signal's arguments)`` names (an
    iterable of ids; [None] for a scope with one version)."""

    signal: object
    scope: str
    key: Callable[..., Iterable]


_watches: dict[type, list[Watch]] = {}
# PER_USER in an app's versions.py: functions (tenant_id, user_id) -> cache keys that a
# signed-in request of that user reads (its links, its unread counter): read in the round
# trip that loads the session's user (accounts.backends, ``user_keys``).
_per_user: list[Callable] = []


def user_keys(tenant_id, user_id):
    return [key for keys_of in _per_user for key in keys_of(tenant_id, user_id)]


def app_versions_modules():
    """Each installed app's ``versions`` module, in INSTALLED_APPS order."""
    from django.apps import apps

    return [import_module(f"{config.name}.versions") for config in apps.get_app_configs()
            if find_spec(f"{config.name}.versions") is not None]


def kernel_watches():
    """The kernel's own declarations (this module is the kernel's ``versions``): what a host
    resolves to (portal.hosts), and the consent documents, which the signup pages kept under
    the same version show (portal.page_cache)."""
    from .models import ConsentDocument, Tenant, TenantDomain, TenantPolicy

    return [Watch(model, "portal.hosts") for model in (Tenant, TenantDomain, TenantPolicy, ConsentDocument)]


def install():
    """Connect every app's declarations (PortalConfig.ready); idempotent."""
    _install_queryset_hooks()
    for watch in kernel_watches():
        _connect_watch(watch)
    for module in app_versions_modules():
        for watch in getattr(module, "WATCHES", ()):
            _connect_watch(watch)
        for on_signal in getattr(module, "SIGNALS", ()):
            _connect_signal(on_signal)
        _per_user.extend(keys_of for keys_of in getattr(module, "PER_USER", ()) if keys_of not in _per_user)


def _connect_watch(watch):
    model = watch.model._meta.concrete_model
    if watch in _watches.get(model, []):
        return
    _watches.setdefault(model, []).append(watch)

    def changed(sender, instance, **kwargs):
        bump(watch.scope, watch.ids_of(instance))

    uid = f"portal.versions:{model._meta.label}:{watch.scope}:{watch.key}"
    post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"{uid}:save")
    post_delete.connect(changed, sender=model, weak=False, dispatch_uid=f"{uid}:delete")


def _connect_signal(on_signal):
    def fired(sender, **kwargs):
        bump(on_signal.scope, list(on_signal.key(**kwargs)))

    on_signal.signal.connect(fired, weak=False, dispatch_uid=f"portal.versions:signal:{on_signal.scope}:{id(on_signal)}")


def _watches_of(model):
    return _watches.get(model._meta.concrete_model, ())


def _install_queryset_hooks():
    if getattr(QuerySet.update, "_versions_hook", False):
        return
    update, bulk_create = QuerySet.update, QuerySet.bulk_create

    @wraps(update)
    def watched_update(self, **kwargs):
        watches = _watches_of(self.model)
        if not watches:
            return update(self, **kwargs)
        touched = [(watch, watch.ids_of_rows(self, kwargs)) for watch in watches]
        rows = update(self, **kwargs)
        if rows:
            for watch, ids in touched:
                bump(watch.scope, ids)
        return rows

    @wraps(bulk_create)
    def watched_bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        created = bulk_create(self, objs, *args, **kwargs)
        for watch in _watches_of(self.model):
            bump(watch.scope, sorted({i for obj in objs for i in watch.ids_of(obj)} - {None}, key=str)
                 if watch.key else [None])
        return created

    watched_update._versions_hook = True
    QuerySet.update, QuerySet.bulk_create = watched_update, watched_bulk_create
