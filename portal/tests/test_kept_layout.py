"""The layout's header, head and footer kept in memory ({% kept %}, portal.page_cache): each
request still gets its own CSRF token and nonce, each tenant its own branding, each page its
own current item and each user their own unread count; a change shows on the next request."""

import re

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.factories import UserFactory
from appeals.services import UNREAD, unread_cache_key
from portal import versions
from portal.factories import TenantFactory
from portal.testing import host_of, through_wsgi


def signed_in(tenant, **fields):
    user = UserFactory(tenant=tenant, **fields)
    client = Client(HTTP_HOST=host_of(tenant))
    client.force_login(user)
    return user, client


def header(response):
    return re.search(r'<header class="site-header">.*</header>', response.content.decode(), re.S)[0]


def footer(response):
    return re.search(r'<footer class="site-footer">.*</footer>', response.content.decode(), re.S)[0]


@pytest.fixture
def tenants(db):
    return (TenantFactory(slug="alpha", short_name="Альфа", name="ООО «Альфа»", support_phones="8 800 100-00-01"),
            TenantFactory(slug="beta", short_name="Бета", name="ООО «Бета»", support_phones="8 800 200-00-02"))


def test_each_request_gets_its_own_logout_token_and_nonce(tenants):
    _user, client = signed_in(tenants[0])
    tokens, nonces = set(), set()
    for _ in range(3):
        page = client.get("/support/")
        tokens.add(re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', header(page))[1])
        nonce = re.search(r'<style nonce="([^"]+)"', page.content.decode())[1]
        assert f"'nonce-{nonce}'" in page["Content-Security-Policy"]
        nonces.add(nonce)
    assert len(tokens) == len(nonces) == 3
    checked = Client(HTTP_HOST=host_of(tenants[0]), enforce_csrf_checks=True)
    checked.force_login(_user)
    page = checked.get("/support/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', header(page))[1]
    assert checked.post("/accounts/logout/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert "_auth_user_id" not in checked.session


def test_a_page_renders_its_kept_parts_once(tenants, monkeypatch):
    from portal import page_cache

    kept = []
    cut_holes = page_cache._cut_holes
    monkeypatch.setattr(page_cache, "_cut_holes", lambda *args: kept.append(1) or cut_holes(*args))
    _user, client = signed_in(tenants[0])
    for _ in range(3):
        assert client.get("/support/").status_code == 200
    assert len(kept) == 3  # head, header and footer, on the first request only


def test_each_tenant_gets_its_own_header_and_footer(tenants):
    alpha, beta = tenants
    for tenant, other in ((alpha, beta), (beta, alpha), (alpha, beta)):
        _user, client = signed_in(tenant)
        page = client.get("/support/")
        assert tenant.short_name in header(page) and other.short_name not in header(page)
        assert tenant.name in footer(page) and other.name not in footer(page)


@pytest.mark.parametrize("staff", [False, True], ids=["customer", "staff"])  # staff have no unread count
def test_signed_in_and_anonymous_visitors_see_their_own_menus(tenants, staff):
    _user, client = signed_in(tenants[0], is_staff=staff)
    for _ in range(2):
        anonymous = header(Client(HTTP_HOST=host_of(tenants[0])).get("/support/"))
        mine = header(client.get("/support/"))
        assert "Выход" in mine and "Регистрация" not in mine
        assert "Регистрация" in anonymous and "Выход" not in anonymous


def test_the_current_page_is_marked_on_each_page(tenants):
    _user, client = signed_in(tenants[0])
    for path, item in (("/support/", "Поддержка"), ("/overview/", "Главная"), ("/support/", "Поддержка")):
        current = re.findall(r'aria-current="page">([^<]+)<', header(client.get(path)))
        assert current == [item]


@pytest.mark.parametrize("keys_alone", [True, False], ids=["keys alone", "as configured"])
def test_a_script_name_sent_by_one_user_never_reaches_anothers_header(tenants, settings, keys_alone,
                                                                       script_prefix_restored):
    if keys_alone:
        settings.FORCE_SCRIPT_NAME = None  # as if the project did not fix the prefix
    host = host_of(tenants[0])
    _attacker, attacker_client = signed_in(tenants[0])
    _victim, victim_client = signed_in(tenants[0])
    for _ in range(2):
        through_wsgi(host, "/support/", script_name="/x", cookie=f"sessionid={attacker_client.cookies['sessionid'].value}")
    page = through_wsgi(host, "/support/", cookie=f"sessionid={victim_client.cookies['sessionid'].value}")
    mine = re.search(r'<header class="site-header">.*</header>', page, re.S)[0]
    assert 'action="/accounts/logout/"' in mine and 'href="/support/"' in mine


def remember_unread(user, count):
    """The menu's counter as the cache holds it (appeals.services.unread_count)."""
    version_keys = [versions.version_key(UNREAD, user.pk)]
    versions.store(unread_cache_key(user.pk), version_keys, cache.get_many(version_keys), count)


def test_each_user_sees_their_own_unread_count(tenants):
    first, first_client = signed_in(tenants[0])
    second, second_client = signed_in(tenants[0])
    remember_unread(first, 2)
    remember_unread(second, 0)
    for _ in range(2):
        assert "непрочитанных ответов: 2" in header(first_client.get("/support/"))
        assert "непрочитанных ответов" not in header(second_client.get("/support/"))
    remember_unread(first, 3)
    assert "непрочитанных ответов: 3" in header(first_client.get("/support/"))


def test_a_change_of_the_tenant_shows_on_the_next_request(tenants):
    alpha = tenants[0]
    _user, client = signed_in(alpha)
    client.get("/support/")
    alpha.support_phones = "8 800 300-00-03"
    alpha.primary_colour = "#123456"
    alpha.save()
    page = client.get("/support/")
    assert "8 800 300-00-03" in footer(page)
    assert "--brand: #123456" in page.content.decode()
