"""While Redis is down the site degrades instead of failing (issue 25, part 3): a redis-server
of the test's own is stopped for real, and pages are driven through the test client.
Anonymous pages and a signed-in page (its session in the database: cached_db) answer; a
login or a code, whose limits cannot count, is refused with a clear message; a password
reset still answers and queues its message; nothing is a 500."""

import time

import pytest
import redis

from accounts.factories import PASSWORD, UserFactory
from portal.models import OutgoingMessage
from portal.ratelimits import UNCOUNTABLE
from portal.scoping import tenant_scope
from portal.testing import OwnRedis

UNCOUNTABLE_TEXT = str(UNCOUNTABLE)


@pytest.fixture
def own_redis(tmp_path, settings):
    """The app's cache (sessions, tenants, rate limits) on a Redis of the test's own."""
    server = OwnRedis(tmp_path)
    if not server.available:
        pytest.skip("redis-server is not installed")
    server.start()
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": "portal.cache.RedisCache", "LOCATION": server.url}}
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def fast_recovery(monkeypatch):
    monkeypatch.setattr("portal.cache.DOWN_FOR", 0.2)


def test_the_cache_degrades_while_redis_is_down_and_answers_again_when_it_is_back(own_redis, fast_recovery):
    from portal.cache import RedisCache

    cache = RedisCache(own_redis.url, {})
    cache.set("key", "value")
    own_redis.stop()

    started = time.monotonic()
    assert cache.get("key") is None and cache.get("key", "default") == "default"  # a miss
    assert cache.get_many(["key"]) == {} and not cache.has_key("key")
    assert cache.add("key", 1) is False  # so django-ratelimit and allauth's lock refuse
    cache.set("key", "new")  # nothing, no error
    cache.delete("key")
    with pytest.raises(ValueError):  # as for a missing key: the limits' counters fail closed
        cache.incr("counter")
    assert cache.down
    assert time.monotonic() - started < 1  # connection refused is quick, then not tried again

    own_redis.start()  # empty (no persistence)
    time.sleep(0.25)
    assert cache.get("key") is None and not cache.down
    cache.set("key", "again")
    assert cache.get("key") == "again"


def test_a_write_that_missed_an_unreachable_redis_is_forgotten_when_it_answers_again(own_redis, fast_recovery):
    """Redis cut off, not restarted, keeps what it held: a session deleted (a logout)
    meanwhile would come back from the cache. The keys are deleted when it answers again."""
    from portal.cache import RedisCache

    cache = RedisCache(own_redis.url, {"OPTIONS": {"socket_timeout": 0.2, "socket_connect_timeout": 0.2}})
    cache.set("session", "signed in")
    cache.set("other", "kept")
    own_redis.pause()
    try:
        assert cache.get("other") is None  # times out: down from now on
        assert cache.down
        cache.delete("session")  # not even tried: Redis still holds it
    finally:
        own_redis.resume()
    assert redis.Redis(port=own_redis.port).exists(cache.make_key("session"))
    time.sleep(0.25)
    assert cache.get("other") == "kept"  # the first call forgets the stale key first
    assert cache.get("session") is None
    assert not redis.Redis(port=own_redis.port).exists(cache.make_key("session"))


def test_pages_answer_while_redis_is_down(own_redis, tenants, tenant_client, monkeypatch):
    """Anonymous home, the login page, a signed-in overview; a login POST refused with the
    clear message; a password reset answering with its message queued."""
    from kombu.exceptions import OperationalError

    from portal import tasks

    def broker_down(**kwargs):  # the broker is Redis too (its own database), down as well
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(tasks.deliver_message, "delay", broker_down)
    alpha = tenants[0]
    user = UserFactory(tenant=alpha, email="ivan@example.com")
    signed_in = tenant_client(alpha)
    signed_in.force_login(user)  # its session in the database and in Redis
    assert signed_in.get("/overview/").status_code == 200
    anonymous = tenant_client(alpha)

    own_redis.stop()

    assert anonymous.get("/").status_code == 200
    assert anonymous.get("/accounts/login/").status_code == 200
    page = signed_in.get("/overview/")
    assert page.status_code == 200 and page.context["user"] == user  # the session from the database

    login = anonymous.post("/accounts/login/", {"login": user.username, "password": PASSWORD})
    assert login.status_code == 429 and UNCOUNTABLE_TEXT in login.content.decode()
    assert "_auth_user_id" not in anonymous.session

    reset = anonymous.post("/accounts/password/reset/", {"login": "ivan@example.com"})
    assert reset.status_code == 302 and reset.url == "/accounts/password/reset/code/"
    with tenant_scope(alpha):
        assert OutgoingMessage.objects.filter(to="ivan@example.com", status=OutgoingMessage.Status.QUEUED).exists()

    code = anonymous.post("/accounts/password/reset/code/", {"code": "000000", "password1": "NewSecret123",
                                                             "password2": "NewSecret123"})
    assert code.status_code == 200 and UNCOUNTABLE_TEXT in code.content.decode()  # a code: not tried

    own_redis.start()
    time.sleep(0.1)
    from portal import cache as portal_cache

    monkeypatch.setattr(portal_cache, "DOWN_FOR", 0)
    assert signed_in.get("/overview/").status_code == 200
    assert anonymous.get("/accounts/login/").status_code == 200


def test_the_admin_login_is_refused_with_the_message_while_redis_is_down(own_redis, tenants, tenant_client):
    client = tenant_client(tenants[0])
    own_redis.stop()
    response = client.post("/admin/login/", {"username": "staff", "password": "x"})
    assert response.status_code == 429
    assert "не можем проверить число попыток" in response.content.decode()


def test_a_reset_by_contract_is_refused_while_redis_is_down(own_redis, tenants, tenant_client):
    """By contract the reset's answers (a contract found, a contact, the decoy's cooldown kept
    in the cache) would tell, unlimited, whether a counterparty has an account: uncounted, it
    is refused with the message, not let through as a reset by e-mail is."""
    from portal.factories import tenant_policy

    alpha = tenants[0]
    tenant_policy(alpha, login_kind="contract")
    client = tenant_client(alpha)
    own_redis.stop()
    response = client.post("/accounts/password/reset/", {"inn": "6229001125", "contract_number": "1001",
                                                         "contact": "+79001234567"})
    assert response.status_code == 200 and UNCOUNTABLE_TEXT in response.content.decode()
