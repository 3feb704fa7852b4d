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


def _free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of the test's own on a free port, without persistence, that the test may
    restart: (url, restart)."""
    import shutil
    import subprocess
    import time

    import redis

    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    processes = []

    def start():
        process = subprocess.Popen([server, "--port", str(port), "--save", "", "--appendonly", "no",
                                    "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
        processes.append(process)
        for _ in range(100):
            try:
                redis.Redis(port=port).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def restart():
        processes[-1].kill()
        processes[-1].wait()
        start()

    start()
    try:
        yield f"redis://127.0.0.1:{port}/0", restart
    finally:
        for process in processes:
            process.kill()
            process.wait()


def test_the_cache_answers_at_once_after_redis_restarts(own_redis):
    """Issue 25: the kept connection died with the server, and every page answered 500 until
    the process was restarted. Now the next call reconnects (the restarted server is empty)."""
    from portal.cache import RedisCache

    url, restart = own_redis
    cache_of_own = RedisCache(url, {})  # as settings.CACHES["default"] makes it
    cache_of_own.set("key", "value")
    assert cache_of_own.get("key") == "value"
    restart()
    assert cache_of_own.get("key") is None  # no error: reconnected, and the new server is empty
    cache_of_own.set("key", "again")
    assert cache_of_own.get("key") == "again"
