"""Fixtures of the accounts' tests: clients at an address, and behind the trusted proxy."""

import pytest

PROXY = "10.0.0.1"  # the one trusted proxy in front of the portal


@pytest.fixture
def client_at(demo_tenants, tenant_client):
    """client_at("gaz", "10.0.0.5"): a browser at that address (messages are delivered)."""

    def make(slug, address="127.0.0.1", **options):
        return tenant_client(demo_tenants[slug], REMOTE_ADDR=address, **options)

    return make


@pytest.fixture
def behind_proxy(settings, client_at):
    """behind_proxy("gaz", "198.51.100.1"): a client as the portal sees it behind the one
    trusted proxy: the connection is the proxy's, the client is in X-Forwarded-For."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1

    def make(slug, client_address):
        return client_at(slug, PROXY, HTTP_X_FORWARDED_FOR=client_address)

    return make
