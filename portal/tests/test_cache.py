"""The Redis cache keeps one client; a logged-in request loads its tenant from nowhere but the cache."""

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
