"""Anonymous pages kept in memory (portal.page_cache): each visitor still gets their own CSRF
token, nonce and captcha; nothing of one tenant, host or session reaches another; any
change of what a page shows is seen on the next request."""

import re
import threading

import pytest
from captcha.models import CaptchaStore
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction
from django.middleware.csrf import _does_token_match
from django.test import Client
from django.test.utils import CaptureQueriesContext

from portal import captcha
from portal.factories import TenantFactory
from portal.models import ConsentDocument, TenantDomain
from portal.scoping import tenant_scope
from portal.testing import host_of, through_wsgi

PAGES = ["/", "/support/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]


def visit(tenant, path, *, host=None, **client_options):
    """A first-time visitor: a new browser, no cookies."""
    client = Client(HTTP_HOST=host or host_of(tenant), **client_options)
    return client, client.get(path)


def nonce_of(response):
    return re.search(r'<style nonce="([^"]+)"', response.content.decode())[1]


def captcha_key(response):
    return re.search(r'name="captcha_0" value="([0-9a-f]+)"', response.content.decode())[1]


def without_holes(response):
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return html.replace(nonce_of(response), "")


def served_from_memory(tenant, path):
    with CaptureQueriesContext(connection) as queries:
        _client, response = visit(tenant, path)
    assert response.status_code == 200
    return response, len(queries) == 0


@pytest.fixture
def tenant(db):
    tenant = TenantFactory(slug="alpha", short_name="Альфа", policy__signup_captcha=True)
    with tenant_scope(tenant):
        ConsentDocument.objects.create(tenant=tenant, kind="personal_data", title="Согласие",
                                       checkbox_label="Даю согласие на обработку данных", text="…")
    return tenant


@pytest.mark.parametrize("path", [page for page in PAGES if page != "/accounts/signup/"])
def test_the_second_visitor_is_served_from_memory_without_a_query(tenant, path):
    first, fresh = served_from_memory(tenant, path)
    second, kept = served_from_memory(tenant, path)
    assert not fresh and kept
    assert without_holes(second) == without_holes(first)


def test_each_visitor_gets_a_nonce_of_their_own_that_the_policy_names(tenant):
    nonces = set()
    for _ in range(3):
        _client, response = visit(tenant, "/accounts/login/")
        nonce = nonce_of(response)
        assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
        nonces.add(nonce)
    assert len(nonces) == 3


def test_each_visitor_gets_a_csrf_token_of_their_own_secret_that_the_form_accepts(tenant):
    User = get_user_model()
    with tenant_scope(tenant):
        User.objects.create_user(tenant=tenant, username="ivan@example.com", email="ivan@example.com",
                                 password="Pass12345x-long")
    tokens = set()
    for _ in range(3):
        client, response = visit(tenant, "/accounts/login/", enforce_csrf_checks=True)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())[1]
        tokens.add(token)
        assert "csrftoken" in response.cookies  # the visitor's own secret, set with the page
        answer = client.post("/accounts/login/", {"csrfmiddlewaretoken": token, "login": "ivan@example.com",
                                                  "password": "Pass12345x-long"})
        assert answer.status_code == 302
    assert len(tokens) == 3
    # Another visitor's token does not pass with this visitor's cookie.
    stranger, _page = visit(tenant, "/accounts/login/", enforce_csrf_checks=True)
    refused = stranger.post("/accounts/login/", {"csrfmiddlewaretoken": token, "login": "ivan@example.com",
                                                 "password": "Pass12345x-long"})
    assert refused.status_code == 403


def test_each_visitor_gets_a_captcha_of_their_own_that_they_can_solve(tenant):
    keys = [captcha_key(visit(tenant, "/accounts/signup/")[1]) for _ in range(4)]
    assert len(set(keys)) == 4
    for key in keys:
        stored = CaptchaStore.objects.get(hashkey=key)
        client = Client(HTTP_HOST=host_of(tenant))
        answer = client.post("/accounts/signup/", {"captcha_0": key, "captcha_1": stored.response})
        assert "captcha" not in answer.context["form"].errors  # solved; the rest of the form is empty
        again = client.post("/accounts/signup/", {"captcha_0": key, "captcha_1": stored.response})
        assert "captcha" in again.context["form"].errors  # single use, as on a page rendered afresh


def test_a_tenant_never_gets_another_tenants_page(tenant):
    beta = TenantFactory(slug="beta", short_name="Бета")
    for path in PAGES:
        visit(tenant, path)
        visit(tenant, path)
        _client, page = visit(beta, path)
        assert "Бета" in page.content.decode() and "Альфа" not in page.content.decode()


@pytest.mark.urls("portal.tests.page_cache_urls")
def test_each_host_of_a_tenant_keeps_its_own_pages(tenant):
    TenantDomain.objects.create(tenant=tenant, domain="lk.alpha.example")
    for host in ("alpha.localhost", "lk.alpha.example", "alpha.localhost", "lk.alpha.example"):
        _client, page = visit(tenant, "/shows-host/", host=host)
        assert page.content.decode().endswith(f"<p>{host}</p>")


@pytest.mark.parametrize("keys_alone", [True, False], ids=["keys alone", "as configured"])
@pytest.mark.parametrize("prefix", ["/x", "/////"])
def test_a_script_name_sent_by_a_client_never_reaches_another_visitors_links(tenant, settings, keys_alone,
                                                                              prefix, script_prefix_restored):
    """gunicorn copies a SCRIPT_NAME header from a trusted address into the environment, and
    Django builds links under it: with FORCE_SCRIPT_NAME unset the keys keep such a page
    apart; set (as it is), the prefix is never the client's."""
    if keys_alone:
        settings.FORCE_SCRIPT_NAME = None  # as if the project did not fix the prefix
    for _ in range(2):
        through_wsgi(host_of(tenant), "/accounts/login/", script_name=prefix)
    page = through_wsgi(host_of(tenant), "/accounts/login/")
    assert 'action="/accounts/login/"' in page and 'href="/accounts/signup/"' in page


def test_a_change_of_the_tenant_its_policy_or_consents_shows_on_the_next_request(tenant):
    visit(tenant, "/accounts/signup/")
    tenant.short_name = "Альфа-Энерго"
    tenant.save()
    assert "Альфа-Энерго" in visit(tenant, "/accounts/signup/")[1].content.decode()

    tenant.policy.signup_captcha = False
    tenant.policy.save()
    assert 'name="captcha_0"' not in visit(tenant, "/accounts/signup/")[1].content.decode()

    with tenant_scope(tenant):
        document = ConsentDocument.objects.get()
        document.checkbox_label = "Согласен с новой редакцией"
        document.save()
    assert "Согласен с новой редакцией" in visit(tenant, "/accounts/signup/")[1].content.decode()


def test_a_visitor_with_a_session_messages_or_a_query_gets_the_view(tenant):
    User = get_user_model()
    with tenant_scope(tenant):
        User.objects.create_user(tenant=tenant, username="ivan@example.com", email="ivan@example.com",
                                 password="Pass12345x-long")
    for path in PAGES:
        visit(tenant, path)  # kept

    client = Client(HTTP_HOST=host_of(tenant))
    client.post("/accounts/login/", {"login": "ivan@example.com", "password": "Pass12345x-long"})
    assert client.get("/").status_code == 302  # signed in: their own home, not the visitors' page
    assert client.get("/accounts/signup/").status_code == 302

    # A message for the next page (in a cookie, without a session) is shown on it.
    told = Client(HTTP_HOST=host_of(tenant)).get("/accounts/signup/confirm/", follow=True)
    assert told.redirect_chain[-1][0] == "/accounts/signup/"
    assert "Сеанс регистрации истёк" in told.content.decode()

    _client, with_next = visit(tenant, "/accounts/login/?next=/personal/")
    assert 'name="next" value="/personal/"' in with_next.content.decode()


@pytest.mark.urls("portal.tests.page_cache_urls")
@pytest.mark.parametrize("path, kept", [
    ("/kept/", True), ("/writes-session/", False), ("/sets-cookie/", False), ("/token-in-meta/", False),
    ("/secret-in-data/", False), ("/adds-message/", False), ("/own-csp/", False), ("/framed/", False),
    ("/not-html/", False), ("/not-found/", False), ("/template-captcha/", True),
])
def test_only_a_plain_html_page_that_leaves_no_state_is_kept(tenant, path, kept):
    from portal.tests import page_cache_urls

    page_cache_urls.calls.clear()
    for _ in range(3):
        visit(tenant, path)
    assert page_cache_urls.calls[path] == (1 if kept else 3)


@pytest.mark.urls("portal.tests.page_cache_urls")
@pytest.mark.parametrize("path", ["/template-captcha/", "/kept-part-with-captcha/"])
def test_a_captcha_rendered_late_or_in_a_kept_part_is_each_visitors_own(tenant, path):
    keys = [captcha_key(visit(tenant, path)[1]) for _ in range(3)]
    assert len(set(keys)) == 3
    assert CaptchaStore.objects.filter(hashkey__in=keys).count() == 3


@pytest.mark.urls("portal.tests.page_cache_urls")
def test_a_head_request_gets_the_view(tenant):
    from portal.tests import page_cache_urls

    page_cache_urls.calls.clear()
    visit(tenant, "/kept/")
    Client(HTTP_HOST=host_of(tenant)).head("/kept/")
    assert page_cache_urls.calls["/kept/"] == 2


def test_an_ajax_request_of_a_kept_page_gets_the_views_own_answer(tenant):
    visit(tenant, "/accounts/login/")
    visit(tenant, "/accounts/login/")
    _client, answer = visit(tenant, "/accounts/login/", HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert answer["Content-Type"].startswith("application/json")


def test_a_visitor_with_a_csrf_cookie_gets_a_token_of_that_secret(tenant):
    visit(tenant, "/accounts/login/")
    secret = "a" * 16 + "B" * 16
    client = Client(HTTP_HOST=host_of(tenant))
    client.cookies["csrftoken"] = secret
    page = client.get("/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    assert _does_token_match(token, secret)


def test_captcha_keys_are_handed_out_once_and_only_when_committed(transactional_db):
    made = []

    def take(count):
        try:
            for _ in range(count):
                made.append(captcha.new_key())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take, args=(15,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == len(set(made)) == 60
    assert CaptchaStore.objects.filter(hashkey__in=made).count() == 60

    captcha.forget_made_keys()
    with transaction.atomic():
        rolled_back = captcha.new_key()
        transaction.set_rollback(True)
    after = captcha.new_key()
    assert not CaptchaStore.objects.filter(hashkey=rolled_back).exists()
    assert CaptchaStore.objects.filter(hashkey=after).exists()


def test_captcha_keys_that_waited_too_long_are_not_handed_out(transactional_db, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(captcha.time, "monotonic", lambda: now[0])
    first = captcha.new_key()  # and BATCH - 1 more waiting
    now[0] += captcha.FRESH_FOR + 1
    later = captcha.new_key()
    assert later != first and CaptchaStore.objects.filter(hashkey=later).exists()
    assert CaptchaStore.objects.count() == 2 * captcha.BATCH  # a new batch: the first one's went stale
    assert len(captcha._made) == captcha.BATCH - 1
    assert all(made_at == now[0] for made_at, _key in captcha._made)
    assert first not in {key for _made_at, key in captcha._made}


# --- signed-in pages (page_cache.signed_in_page, portal.tests.page_cache_urls) -----------------

def signed_in_client(tenant, login, first_name):
    with tenant_scope(tenant):
        get_user_model().objects.create_user(tenant=tenant, username=login, email=login, password="Pass12345x-long",
                                             first_name=first_name)
    client = Client(HTTP_HOST=host_of(tenant))
    assert client.post("/accounts/login/", {"login": login, "password": "Pass12345x-long"}).status_code == 302
    client.get("/mine/")  # with the login's message: the view's own page, not kept
    from portal.tests import page_cache_urls

    page_cache_urls.calls.clear()
    return client


def form_values(response):
    html = response.content.decode()
    return (re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1],
            re.search(r'name="token" value="([^"]+)"', html)[1])


@pytest.fixture
def calls():
    from portal.tests import page_cache_urls

    page_cache_urls.calls.clear()
    return page_cache_urls.calls


@pytest.mark.urls("portal.tests.page_cache_urls")
def test_a_signed_in_page_is_served_again_with_the_requests_own_tokens(tenant, calls):
    client = signed_in_client(tenant, "ivan@example.com", "Иван")
    pages = [client.get("/mine/") for _ in range(3)]
    assert calls["/mine/"] == 1
    assert {page.status_code for page in pages} == {200}
    assert all("Иван" in page.content.decode() for page in pages)
    assert all("no-store" in page["Cache-Control"] for page in pages)
    secret = client.cookies["csrftoken"].value
    tokens = [form_values(page) for page in pages]
    assert all(_does_token_match(csrf, secret) for csrf, _token in tokens)
    assert len({token for _csrf, token in tokens}) == 3  # a payment's token is each page's own


@pytest.mark.urls("portal.tests.page_cache_urls")
def test_another_user_gets_their_own_page_at_the_same_address(tenant, calls):
    ivan = signed_in_client(tenant, "ivan@example.com", "Иван")
    ivan.get("/mine/")
    ivan.get("/mine/")
    maria = signed_in_client(tenant, "maria@example.com", "Мария")
    page = maria.get("/mine/").content.decode()
    assert "Мария" in page and "Иван" not in page
    assert calls["/mine/"] == 1


@pytest.mark.urls("portal.tests.page_cache_urls")
def test_a_change_of_what_the_page_was_built_from_shows_on_the_next_request(tenant, calls):
    client = signed_in_client(tenant, "ivan@example.com", "Иван")
    with tenant_scope(tenant):
        user = get_user_model().objects.get(username="ivan@example.com")
        user.first_name = "Иоанн"
        user.save()  # accounts' watch replaces the user's version
    assert "Иоанн" in client.get("/mine/").content.decode()

    client.post("/pick/", {"pick": "второй"})  # the session's data is part of the key
    assert "Иоанн второй" in client.get("/mine/").content.decode()
    assert calls["/mine/"] == 2


@pytest.mark.urls("portal.tests.page_cache_urls")
def test_a_page_with_messages_to_show_gets_the_view_and_shows_them(tenant, calls):
    client = signed_in_client(tenant, "ivan@example.com", "Иван")
    told = client.get("/tell/", follow=True)
    assert "Сохранено" in told.content.decode()
    assert "Сохранено" not in client.get("/mine/").content.decode()
    assert "Сохранено" not in client.get("/mine/").content.decode()
    assert calls["/mine/"] == 2  # the page with the message was the view's own, and not kept


@pytest.mark.urls("portal.tests.page_cache_urls")
@pytest.mark.parametrize("path", ["/queries/", "/bumps/"])
def test_a_page_that_reads_the_database_or_changes_a_version_is_never_kept(tenant, calls, path):
    client = signed_in_client(tenant, "ivan@example.com", "Иван")
    for _ in range(3):
        assert client.get(path).status_code == 200
    assert calls[path] == 3


@pytest.mark.urls("portal.tests.page_cache_urls")
def test_a_kept_page_of_one_tenant_is_never_served_on_another(tenant, calls):
    client = signed_in_client(tenant, "ivan@example.com", "Иван")
    client.get("/mine/")
    other = TenantFactory(slug="beta", short_name="Бета")
    stranger = Client(HTTP_HOST=host_of(other))
    stranger.cookies = client.cookies  # the session cookie carried to another tenant's host
    response = stranger.get("/mine/")
    assert response.status_code == 302 and "Иван" not in response.content.decode()
    assert calls["/mine/"] == 1
