"""The Redis cache keeps one client and connection per process; a logged-in request loads its
tenant from nowhere but the cache."""

import multiprocessing
import threading

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from portal.scoping import tenant_scope
from portal.services import tenant_create


@pytest.mark.skipif("redis" not in settings.CACHES["default"]["BACKEND"].lower(), reason="Redis only")
def test_the_redis_cache_reuses_its_client():
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=True) is client
    cache.set("portal:test", 1)
    assert cache.get("portal:test") == 1


def _child_reads(parent_client_id, key, expected, answers):
    # The parent's client is still in this copy of its memory, at the same address.
    answers.put((id(cache._cache.get_client()) != parent_client_id, cache.get(key) == expected))


@pytest.mark.skipif("redis" not in settings.CACHES["default"]["BACKEND"].lower(), reason="Redis only")
def test_a_forked_child_and_threads_never_share_a_reply():
    """A child forked from a process that used its connection gets a client of its own;
    threads sharing a client take turns on its connection and each reads its own answer."""
    cache.set_many({f"portal:test:{n}": n for n in range(50)})
    parent = cache._cache.get_client()
    parent_socket = id(parent.connection._sock)
    answers = multiprocessing.get_context("fork").Queue()
    child = multiprocessing.get_context("fork").Process(target=_child_reads,
                                                        args=(id(parent), "portal:test:7", 7, answers))
    child.start()
    child.join(30)
    own_client, read_right = answers.get(timeout=5)
    assert own_client and read_right
    assert cache.get("portal:test:8") == 8  # the parent's connection still answers the parent

    # One client used by several threads at once (Django gives each thread a cache object of
    # its own, but a client may still be shared): the lock keeps each reply with its caller.
    wrong = []

    def read_many(offset):
        for n in range(200):
            key = (n + offset) % 50
            if cache._cache._serializer.loads(parent.get(cache.make_key(f"portal:test:{key}"))) != key:
                wrong.append(key)

    threads = [threading.Thread(target=read_many, args=(offset,)) for offset in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
    assert id(cache._cache.get_client().connection._sock) == parent_socket


def test_a_logged_in_request_takes_the_users_tenant_from_the_host_cache(db, client):
    tenant = tenant_create(slug="alpha", name="ООО «Альфа»", short_name="Альфа", kind="gas")
    tenant.policy.consent_after_first_login = True  # the consent gate reads user.tenant.policy
    tenant.policy.save()
    with tenant_scope(tenant):
        user = User.objects.create_user(username="ivan@example.com", email="ivan@example.com", tenant=tenant)
    client.force_login(user)
    client.get("/", HTTP_HOST="alpha.localhost")
    with CaptureQueriesContext(connection) as queries:
        client.get("/", HTTP_HOST="alpha.localhost")
    tables = " ".join(query["sql"] for query in queries)
    assert '"portal_tenant"' not in tables and '"portal_tenantpolicy"' not in tables, tables
