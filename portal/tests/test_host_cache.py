"""The tenant of a host comes from the cache, and any change of it is seen on the next request."""

import pytest
from django.core.cache import cache

from portal import hosts
from portal.hosts import UnknownHost, resolve_host
from portal.models import TenantDomain
from portal.services import tenant_create


@pytest.fixture
def tenants(db):
    return {
        slug: tenant_create(slug=slug, name=f"ООО «{slug}»", short_name=slug, kind="gas")
        for slug in ("alpha", "beta")
    }


def test_a_warm_cache_resolves_a_host_and_its_policy_without_queries(tenants, django_assert_num_queries):
    TenantDomain.objects.create(tenant=tenants["alpha"], domain="lk.alpha.example")
    resolve_host("alpha.localhost")
    resolve_host("lk.alpha.example")
    with django_assert_num_queries(0):
        for host in ("alpha.localhost:8000", "ALPHA.localhost.", "lk.alpha.example:443"):
            tenant = resolve_host(host).tenant
            assert tenant == tenants["alpha"]
            assert tenant.policy.code_length == 6  # loaded with the tenant
        assert resolve_host("localhost").tenant is None


def test_a_cold_cache_costs_one_query(tenants, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert resolve_host("beta.localhost").tenant.policy.login_kind == "email"


def test_a_policy_change_is_seen_on_the_next_request(tenants, client):
    policy = tenants["alpha"].policy
    assert resolve_host("alpha.localhost").tenant.policy.code_length == 6
    policy.code_length = 8
    policy.save()
    assert resolve_host("alpha.localhost").tenant.policy.code_length == 8


def test_a_tenant_switched_off_is_gone_on_the_next_request(tenants, client):
    assert client.get("/", HTTP_HOST="alpha.localhost").status_code == 200
    tenant = tenants["alpha"]
    tenant.is_active = False
    tenant.save()
    assert client.get("/", HTTP_HOST="alpha.localhost").status_code == 404
    tenant.is_active = True
    tenant.save()
    assert client.get("/", HTTP_HOST="alpha.localhost").status_code == 200


def test_a_renamed_tenant_shows_its_new_name(tenants, client):
    client.get("/", HTTP_HOST="beta.localhost")
    tenants["beta"].short_name = "Бета-Газ"
    tenants["beta"].save()
    assert "Бета-Газ" in client.get("/", HTTP_HOST="beta.localhost").content.decode()


def test_domains_added_moved_and_removed(tenants):
    with pytest.raises(UnknownHost):
        resolve_host("lk.example.com")
    domain = TenantDomain.objects.create(tenant=tenants["alpha"], domain="lk.example.com")
    assert resolve_host("lk.example.com").tenant == tenants["alpha"]
    domain.tenant = tenants["beta"]
    domain.save()
    assert resolve_host("lk.example.com").tenant == tenants["beta"]
    domain.delete()
    with pytest.raises(UnknownHost):
        resolve_host("lk.example.com")


def test_a_deleted_tenant_is_unknown(tenants):
    resolve_host("beta.localhost")
    tenants["beta"].delete()
    with pytest.raises(UnknownHost):
        resolve_host("beta.localhost")


def test_after_commit_a_stale_entry_cached_meanwhile_is_dropped(tenants, django_capture_on_commit_callbacks):
    """Another process may read the old rows between the change and its commit and cache
    them under the new generation; the generation started again at commit drops them."""
    stale = resolve_host("alpha.localhost").tenant
    policy = tenants["alpha"].policy
    with django_capture_on_commit_callbacks() as callbacks:
        policy.code_length = 7
        policy.save()
        # What a request of another process, not seeing the uncommitted change, would do:
        cache.set(hosts._entry_key("alpha.localhost"), ((cache.get(hosts.GENERATION_KEY),), stale))
        assert resolve_host("alpha.localhost").tenant.policy.code_length == 6
    assert callbacks
    for callback in callbacks:
        callback()
    assert resolve_host("alpha.localhost").tenant.policy.code_length == 7


def test_a_lost_generation_key_does_not_revive_old_entries(tenants):
    resolve_host("alpha.localhost")
    cache.delete(hosts.GENERATION_KEY)
    tenants["alpha"].policy.__class__.objects.filter(pk=tenants["alpha"].pk).update(code_length=5)
    assert resolve_host("alpha.localhost").tenant.policy.code_length == 5


def test_unknown_hosts_are_not_cached(tenants):
    with pytest.raises(UnknownHost):
        resolve_host("nope.example.org")
    assert cache.get(hosts._entry_key("nope.example.org")) is None
