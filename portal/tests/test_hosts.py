import pytest

from portal.hosts import UnknownHost, platform_base_url, resolve_host, strip_port, tenant_base_url
from portal.models import TenantDomain


@pytest.mark.parametrize(
    ("host", "expected"),
    [("rgmek.localhost:8000", "rgmek.localhost"), ("LK.Example.RU", "lk.example.ru"),
     ("localhost", "localhost"), ("[::1]:8000", "[::1]"), ("gaz.localhost.", "gaz.localhost"),
     # A fully qualified name with a port: the dot before the port goes too.
     ("rgmek.localhost.:18802", "rgmek.localhost"), ("RGMEK.localhost:1", "rgmek.localhost"),
     ("[::1]", "[::1]"), ("[2001:DB8::1]:8000", "[2001:db8::1]"),
     # Not a host at all: nothing to resolve.
     ("a:b:c", ""), ("", "")],
)
def test_strip_port(host, expected):
    assert strip_port(host) == expected


def test_subdomain_resolves_to_its_tenant(demo_tenants):
    for slug, tenant in demo_tenants.items():
        assert resolve_host(f"{slug}.localhost:8000").tenant == tenant


@pytest.mark.parametrize("host", ["rgmek.localhost.:18802", "RGMEK.localhost:1", "rgmek.localhost.", "Rgmek.LocalHost"])
def test_spellings_of_a_tenants_host_resolve_to_it(demo_tenants, host):
    assert resolve_host(host).tenant == demo_tenants["rgmek"]


@pytest.mark.parametrize("host", ["rgmek.localhost.:18802", "RGMEK.localhost:1"])
def test_spellings_of_a_tenants_host_serve_its_pages(demo_tenants, client, host):
    response = client.get("/", HTTP_HOST=host)
    assert response.status_code == 200
    assert response.context["tenant"] == demo_tenants["rgmek"]


def test_the_platform_with_a_trailing_dot_and_a_port(demo_tenants):
    assert resolve_host("localhost.:8000").tenant is None


@pytest.mark.parametrize("host", ["[::1]:8000", "[::1]", "127.0.0.1:8000"])
def test_ip_literals_are_no_tenant(demo_tenants, client, host):
    with pytest.raises(UnknownHost):
        resolve_host(host)
    assert client.get("/", HTTP_HOST=host).status_code == 404


def test_own_domain_resolves_to_its_tenant(demo_tenants):
    TenantDomain.objects.create(tenant=demo_tenants["rgmek"], domain="lk.rgmek.example")
    assert resolve_host("LK.rgmek.example:443").tenant == demo_tenants["rgmek"]
    assert resolve_host("lk.rgmek.example.:443").tenant == demo_tenants["rgmek"]


def test_bare_domain_is_the_platform(demo_tenants):
    assert resolve_host("localhost:8000").tenant is None


@pytest.mark.parametrize(
    "host", ["nope.localhost", "a.rgmek.localhost", "example.com", "rgmek.localhost.evil.com", "127.0.0.1"]
)
def test_unknown_hosts_are_refused(demo_tenants, host):
    with pytest.raises(UnknownHost):
        resolve_host(host)


def test_inactive_tenant_is_unknown(demo_tenants):
    demo_tenants["mef"].is_active = False
    demo_tenants["mef"].save()
    with pytest.raises(UnknownHost):
        resolve_host("mef.localhost")


def test_unknown_host_gets_a_clear_404_page(demo_tenants, client):
    response = client.get("/", HTTP_HOST="nope.localhost:8000")
    assert response.status_code == 404
    assert "Портал не найден" in response.content.decode()


def test_each_host_shows_its_own_tenant(demo_tenants, tenant_client):
    for tenant in demo_tenants.values():
        page = tenant_client(tenant).get("/").content.decode()
        assert f"<title>{tenant.short_name} · Личный кабинет</title>" in page
        for other in demo_tenants.values():
            if other != tenant:
                assert other.name not in page


def test_own_domain_serves_the_tenant(demo_tenants, client):
    TenantDomain.objects.create(tenant=demo_tenants["gaz"], domain="lk.gaz.example")
    response = client.get("/", HTTP_HOST="lk.gaz.example")
    assert response.status_code == 200
    assert response.context["tenant"] == demo_tenants["gaz"]


def test_directory_lists_every_active_tenant_with_its_url(demo_tenants, tenant_client):
    page = tenant_client(None).get("/").content.decode()
    for slug, tenant in demo_tenants.items():
        assert f'href="http://{slug}.localhost/"' in page
        assert tenant.short_name in page


def test_base_urls(settings, demo_tenants):
    settings.PORTAL_SCHEME, settings.PORTAL_PORT = "http", "8123"
    assert tenant_base_url(demo_tenants["gaz"]) == "http://gaz.localhost:8123"
    assert platform_base_url(scheme="https", port="443") == "https://localhost"
