"""Production headers: Content-Security-Policy, Permissions-Policy, HSTS (pytest-django runs
with DEBUG=False, as production does)."""

import runpy
from pathlib import Path

import pytest
from django.test import Client, override_settings

from portal import messaging

SETTINGS_FILE = Path(__file__).resolve().parents[1] / "settings.py"


def directives(response):
    """The Content-Security-Policy header as {directive: [sources]}."""
    policy = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        policy[name] = sources
    return policy


PAGES = [
    ("gaz.localhost", "/"),
    ("gaz.localhost", "/accounts/login/"),
    ("mef.localhost", "/accounts/signup/"),  # with the captcha
    ("gaz.localhost", "/admin/login/"),
    ("localhost", "/"),
    ("nope.localhost", "/"),  # the unknown-host page
]


@pytest.mark.parametrize(("host", "path"), PAGES)
def test_every_page_has_a_csp_without_inline_script(demo_tenants, host, path):
    response = Client(HTTP_HOST=host).get(path)
    policy = directives(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["style-src"]
    assert "'unsafe-eval'" not in " ".join(sum(policy.values(), []))


def test_the_tenant_colours_style_carries_the_requests_nonce(demo_tenants):
    response = Client(HTTP_HOST="gaz.localhost").get("/")
    nonce = next(source for source in directives(response)["style-src"] if source.startswith("'nonce-"))
    assert f'<style nonce="{nonce[len("nonce-") + 1:-1]}">' in response.content.decode()
    again = Client(HTTP_HOST="gaz.localhost").get("/")
    assert directives(again)["style-src"] != directives(response)["style-src"], "a fresh nonce per response"


def test_the_server_error_page_needs_no_inline_style(rf):
    from django.views.defaults import server_error

    page = (Path(__file__).resolve().parents[2] / "templates" / "500.html").read_text()
    assert "style=" not in page and "<style" not in page and "<script" not in page
    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert 'rel="stylesheet"' in response.content.decode()


def test_the_permissions_policy_denies_devices_and_payment(demo_tenants):
    response = Client(HTTP_HOST="gaz.localhost").get("/")
    policy = dict(part.strip().split("=", 1) for part in response["Permissions-Policy"].split(","))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert policy[feature] == "()", feature


def production_settings(monkeypatch, **env):
    """The settings module evaluated as production would (DEBUG=false)."""
    monkeypatch.setenv("DEBUG", "false")
    monkeypatch.setenv("SECRET_KEY", "test-only-production-key")
    for name in ("SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS_FILE))


def hsts_header(production, demo_tenants):
    names = ("SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD")
    with override_settings(**{name: production[name] for name in names}):
        return Client(HTTP_HOST="gaz.localhost").get("/", secure=True)["Strict-Transport-Security"]


def test_hsts_covers_only_the_host_by_default(monkeypatch, demo_tenants):
    # Tenants' own domains are not ours to preload or to force on their subdomains.
    production = production_settings(monkeypatch)
    assert hsts_header(production, demo_tenants) == "max-age=31536000"


def test_hsts_subdomains_and_preload_are_opt_in(monkeypatch, demo_tenants):
    production = production_settings(monkeypatch, SECURE_HSTS_INCLUDE_SUBDOMAINS="true", SECURE_HSTS_PRELOAD="true")
    assert hsts_header(production, demo_tenants) == "max-age=31536000; includeSubDomains; preload"


def test_production_middleware_sends_both_policies(monkeypatch):
    production = production_settings(monkeypatch)
    assert "csp.middleware.CSPMiddleware" in production["MIDDLEWARE"]
    assert "django_permissions_policy.PermissionsPolicyMiddleware" in production["MIDDLEWARE"]


def write_email(tenant_slug, to, text):
    from django.core.mail import EmailMessage

    headers = {messaging.TENANT_HEADER: tenant_slug} if tenant_slug else {}
    EmailMessage("Код", text, "portal@localhost", [to], headers=headers).send()


def test_dev_outbox_on_the_platform_host_shows_only_the_platforms_messages(demo_tenants, tenant_client, settings):
    settings.DEBUG = True
    write_email("gaz", "someone@gaz.example", "Код подтверждения: 482913")
    messaging.get_sms_backend().send(tenant_slug="mef", to="+79001112233", text="Код: 771204")
    write_email("", "admin@platform.example", "Платформенное письмо")

    platform = tenant_client(None).get("/dev/outbox/").content.decode()
    assert "482913" not in platform and "771204" not in platform
    assert "Платформенное письмо" in platform

    gaz = tenant_client(demo_tenants["gaz"]).get("/dev/outbox/").content.decode()
    assert "482913" in gaz
    assert "771204" not in gaz and "Платформенное письмо" not in gaz
