"""Fixtures shared by every app's tests."""

import pytest
from django.test import Client

from portal import demo
from portal.models import Tenant


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Hashing cost is not what these tests are about; bench/ measures the real hashers.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _outbox_in_tmp(settings, tmp_path):
    # Tests read codes and links from the outbox, as a person trying the demo would.
    settings.EMAIL_BACKEND = "portal.messaging.OutboxEmailBackend"
    settings.SMS_BACKEND = "file"
    settings.OUTBOX_DIR = tmp_path / "outbox"


@pytest.fixture
def demo_tenants(db):
    """The five demo tenants of PRODUCT.md, by slug."""
    demo.seed_demo()
    return {tenant.slug: tenant for tenant in Tenant.objects.all()}


def host_of(tenant):
    return f"{tenant.slug}.localhost"


@pytest.fixture
def tenant_client():
    """A test client bound to a tenant's host: tenant_client(tenant)."""

    def make(tenant):
        return Client(HTTP_HOST=host_of(tenant) if tenant else "localhost")

    return make
