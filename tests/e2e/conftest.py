"""Playwright driving Debian's Chromium (/usr/bin/chromium) against pytest-django's live server.

Tenants are reached at http://<slug>.localhost:<port>/ exactly as a person would; Chromium
is told to resolve *.localhost to 127.0.0.1, where the live server listens.
"""

import os

import pytest
from playwright.sync_api import sync_playwright

from accounts.factories import free_the_registrys_first_counterparty
from portal import demo

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP *.localhost 127.0.0.1, MAP localhost 127.0.0.1",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session", autouse=True)
def _orm_beside_playwright():
    # Playwright's sync API keeps an event loop running in the test thread; Django's ORM
    # refuses to run there unless told it is safe (it is: one thread drives both).
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    """A 360-px phone (the width every consumer page is checked at), downloads accepted."""
    context = browser.new_context(locale="ru-RU", viewport={"width": 360, "height": 740}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def portal(live_server, transactional_db, settings):
    """The demo tenants behind the live server; portal.url(slug, path) builds a tenant URL."""
    settings.DEBUG = True  # the demo as `make run` serves it (outbox page included)
    demo.seed_demo()
    # The flows here register guide 000's first counterparty from scratch.
    free_the_registrys_first_counterparty()
    port = live_server.url.rsplit(":", 1)[1]
    settings.PORTAL_PORT = port  # links the portal builds (e-mails, providers' return URLs)

    class Portal:
        @staticmethod
        def url(slug=None, path="/"):
            host = f"{slug}.localhost" if slug else "localhost"
            return f"http://{host}:{port}{path}"

    return Portal


@pytest.fixture
def axe_phone(browser):
    """A phone on which axe's script may be injected (the site's CSP allows no inline script)."""
    from .browser import AXE, PHONE, new_page

    if not AXE.exists():
        pytest.skip(f"{AXE} is missing: `make axe` (run by `make test`) installs it")
    page = new_page(browser, PHONE, bypass_csp=True)
    yield page
    page.context.close()
