"""While Redis is down (issue 25): a person signed in carries on, and one who tries to sign
in reads why they cannot, on a phone, the page fitting and clean for axe."""

import pytest
from playwright.sync_api import expect

from accounts.factories import PASSWORD
from portal.testing import OwnRedis

from .browser import AXE, PHONE, assert_fits, axe_violations, consumer_login, log_in, log_in_as_demo_consumer, new_page


@pytest.fixture
def redis_of_own(portal, settings, tmp_path):
    server = OwnRedis(tmp_path)
    if not server.available:
        pytest.skip("redis-server is not installed")
    server.start()
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": "portal.cache.RedisCache", "LOCATION": server.url}}
    yield server
    server.close()


def test_signed_in_pages_answer_and_a_login_is_refused_with_the_reason(portal, redis_of_own, phone, browser,
                                                                        tmp_path):
    log_in_as_demo_consumer(phone, portal, "mef")
    redis_of_own.stop()

    phone.goto(portal.url("mef", "/overview/"))  # the session is read from the database
    expect(phone.get_by_role("main")).to_contain_text(f"Вы вошли как {consumer_login('mef')}.")

    stranger = new_page(browser, PHONE, bypass_csp=True)
    log_in(stranger, portal, "mef", consumer_login("mef"), PASSWORD)
    expect(stranger.get_by_role("main")).to_contain_text("Сейчас мы не можем проверить число попыток")
    assert_fits(stranger)
    stranger.screenshot(path=str(tmp_path / "login-while-redis-is-down.png"), full_page=True)
    if AXE.exists():
        assert axe_violations(stranger) == []
    stranger.context.close()
