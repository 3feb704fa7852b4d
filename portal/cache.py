"""Django's Redis cache, with one client per process instead of one per call.

Django's RedisCacheClient.get_client() builds a new redis.Redis for every cache call, and
each one copies its ~170 response callbacks: about 0.1 ms, as much as the call's round
trip to Redis. Every request makes a few (its tenant, its session, rate limits). A
redis.Redis is thread-safe, so one per pool and process serves them all.

That client keeps one connection (``single_connection_client``) instead of taking one from
the pool and giving it back on every call: about a third less CPU a call (45 instead of 65
microseconds here), and a page makes several. Its calls take turns on that connection (a
lock), which costs nothing in gunicorn's sync workers and Celery's prefork children (one
thread each); pipelines still take connections of their own. Keyed by the process too: a
forked child must not share its parent's socket.
"""

import os

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        owner = (id(pool), os.getpid())
        client = self._clients.get(owner)
        if client is None:
            client = self._clients[owner] = self._client(connection_pool=pool, single_connection_client=True)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
