"""Django's Redis cache, with one client (and connection) per cache object instead of one
per call.

Django's RedisCacheClient.get_client() builds a new redis.Redis for every cache call, and
each one copies its ~170 response callbacks: about 0.1 ms, as much as the call's round
trip to Redis. Every request makes a few (its tenant, its session, rate limits). Django
keeps a cache object per thread, so the client kept here is one thread's.

That client keeps one connection (``single_connection_client``) instead of taking one from
the pool and giving it back on every call: about a third less CPU a call (45 instead of 65
microseconds here), and a signed-in page makes six or seven. Pipelines still take
connections of their own. A forked child (Celery's prefork pool) must not talk on its
parent's socket: it drops the clients it inherited and makes its own.

A kept connection dies with a Redis restart; redis-py reconnects it on the next call when its
pool is told to retry connection errors (``RECONNECT``), so pages answer again at once instead
of failing until the process restarts (issue 25). A call to a Redis that stays down fails
after the retries, within a few seconds (the socket timeouts), never hangs a page.

While Redis is *down* the site degrades instead of failing (issue 25, docs/operations.md):
a call that cannot reach Redis is a miss (reads), or nothing (writes), and ``incr``/``decr``
raise ValueError as for a key that is not there, so callers fall through to the database
(sessions are ``cached_db``, the tenant cache reloads its tenant) and the rate limits, which
cannot count, refuse (portal.ratelimits). After one failure the process does not try again
for ``DOWN_FOR`` seconds (a Redis that drops packets would cost a socket timeout per call).
A write that did not reach Redis leaves what Redis held before: stale if Redis comes back
with its data (it was unreachable, not restarted). Its keys are kept, and deleted first when
Redis answers again (past ``STALE_KEYS`` of them, the cache is cleared): a session logged out
during the outage is not revived from the cache.
"""

import logging
import os
import threading
import time

from django.core.cache.backends import redis as django_redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

logger = logging.getLogger(__name__)

# What a Redis that is down or unreachable raises (BusyLoadingError, a Redis still loading
# its data after a restart, is a ConnectionError).
DOWN_ERRORS = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)
DOWN_FOR = 5.0  # seconds without trying once a call failed
STALE_KEYS = 10_000

# The pool's options unless a cache's OPTIONS say otherwise: a dead connection is replaced on
# the next call (two retries, 10 then 20 ms apart), an idle one is checked before use after 30 s.
RECONNECT = {
    "retry": Retry(ExponentialBackoff(cap=0.1, base=0.01), 2),
    "retry_on_error": [RedisConnectionError, RedisTimeoutError],
    "health_check_interval": 30,
    "socket_connect_timeout": 1,
    "socket_timeout": 1,
}


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients, self._pid = {}, os.getpid()

    def get_client(self, key=None, *, write=False):
        if self._pid != os.getpid():  # forked: the inherited clients hold the parent's sockets
            self._clients, self._pid = {}, os.getpid()
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool, single_connection_client=True)
        return client


class _Health:
    """One Redis location's state in this process (Django keeps a cache object per thread;
    they share this): down until when, and the keys whose writes did not reach it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.down_until = 0.0
        self.stale = set()
        self.clear_all = False


_health = {}
_health_lock = threading.Lock()


def _health_of(location):
    with _health_lock:
        return _health.setdefault(location, _Health())


_MISSING = object()


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        params = {**params, "OPTIONS": {**RECONNECT, **params.get("OPTIONS", {})}}
        super().__init__(server, params)
        self._class = RedisCacheClient
        self._health = _health_of(str(server))

    # --- Down or not ----------------------------------------------------------------------

    @property
    def down(self):
        """Whether the last call failed less than DOWN_FOR seconds ago (no call is tried)."""
        return time.monotonic() < self._health.down_until

    def _call(self, method, *args, fallback=_MISSING, stale=(), clear=False, **kwargs):
        """``method`` of Django's RedisCache, or ``fallback`` when Redis cannot be reached (a
        ValueError when there is none); ``stale``: the keys a failed write leaves stale."""
        health = self._health
        if not self.down:
            try:
                if health.stale or health.clear_all:
                    self._forget_stale()
                result = method(*args, **kwargs)
            except DOWN_ERRORS as error:
                with health.lock:
                    if health.down_until == 0.0:  # once an outage
                        logger.warning("Redis cache unreachable, degrading for %ss: %s", DOWN_FOR, error)
                    health.down_until = time.monotonic() + DOWN_FOR
            else:
                if health.down_until:
                    health.down_until = 0.0
                    logger.info("Redis cache answers again")
                return result
        if stale or clear:
            with health.lock:
                health.stale.update(self.make_and_validate_key(key) for key in stale)
                if clear or len(health.stale) > STALE_KEYS:
                    health.stale.clear()
                    health.clear_all = True
        if fallback is _MISSING:
            raise ValueError("the cache cannot be reached")
        return fallback

    def _forget_stale(self):
        health = self._health
        with health.lock:
            keys, clear_all = list(health.stale), health.clear_all
            health.stale, health.clear_all = set(), False
        try:
            if clear_all:
                super().clear()
            elif keys:
                self._cache.delete_many(keys)
        except DOWN_ERRORS:
            with health.lock:  # still not there: keep them for the next time
                health.stale.update(keys)
                health.clear_all = health.clear_all or clear_all
            raise
        if keys or clear_all:
            logger.info("Redis cache: %s written during the outage forgotten",
                        "everything" if clear_all else f"{len(keys)} keys")

    # --- Django's cache API, degraded -------------------------------------------------------

    def get(self, key, default=None, version=None):
        return self._call(super().get, key, default, version, fallback=default)

    def get_many(self, keys, version=None):
        return self._call(super().get_many, keys, version, fallback={})

    def has_key(self, key, version=None):
        return self._call(super().has_key, key, version, fallback=False)

    def add(self, key, value, timeout=django_redis.DEFAULT_TIMEOUT, version=None):
        return self._call(super().add, key, value, timeout, version, fallback=False)

    def set(self, key, value, timeout=django_redis.DEFAULT_TIMEOUT, version=None):
        return self._call(super().set, key, value, timeout, version, fallback=None,
                          stale=[(key, version)])

    def set_many(self, data, timeout=django_redis.DEFAULT_TIMEOUT, version=None):
        return self._call(super().set_many, data, timeout, version, fallback=list(data),
                          stale=[(key, version) for key in data])

    def touch(self, key, timeout=django_redis.DEFAULT_TIMEOUT, version=None):
        return self._call(super().touch, key, timeout, version, fallback=False)

    def delete(self, key, version=None):
        return self._call(super().delete, key, version, fallback=False, stale=[(key, version)])

    def delete_many(self, keys, version=None):
        return self._call(super().delete_many, keys, version, fallback=None,
                          stale=[(key, version) for key in keys])

    def incr(self, key, delta=1, version=None):
        # A counter is not forgotten afterwards: a rate limit would start again from zero.
        return self._call(super().incr, key, delta, version)

    def decr(self, key, delta=1, version=None):
        return self._call(super().decr, key, delta, version)

    def clear(self):
        return self._call(super().clear, fallback=False, clear=True)

    def make_and_validate_key(self, key, version=None):
        if isinstance(key, tuple):  # (key, version) of a failed write
            key, version = key
        return super().make_and_validate_key(key, version)

    def validate_key(self, key):
        """Nothing to check: Redis takes any key. Django's check warns of keys memcached would
        refuse by walking every character of every key in Python (a signed-in page asks for a
        dozen): 4 % of the receipt download's CPU under wrk (py-spy, docs/performance.md)."""
