"""Guide 000 on the overview: the contracts of the signed-in legal entity, in constant queries,
never another tenant's; and the tenant's home leads a signed-in customer to the overview."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from billing.models import Contract, Counterparty, Supplier
from portal.scoping import tenant_scope


def home_queries(client):
    # The first request of a host also loads its tenant into the cache, and a first visit's
    # sync links the contracts' accounts, so the second reads the user's links once more.
    client.get("/overview/")
    client.get("/overview/")
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/overview/").status_code == 200
    return len(captured)


def test_home_lists_contracts_in_constant_queries(demo_tenants, tenant_client):
    rgmek = demo_tenants["rgmek"]
    with tenant_scope(rgmek):
        user = User.objects.create_user(tenant=rgmek, username="6234005679-2001", password="secret-a1")
        counterparty = Counterparty.objects.get(inn="6234005679")
        counterparty.account = user
        counterparty.save()
        client = tenant_client(rgmek)
        client.force_login(user)
        few = home_queries(client)
        supplier = Supplier.objects.get(code="rgmek")
        for number in range(10):
            Contract.objects.create(tenant=rgmek, supplier=supplier, number=f"9{number}", counterparty=counterparty)
        many = home_queries(client)
    assert few == many
    assert "Договор № 95" in client.get("/overview/").content.decode()


def test_other_tenants_contracts_never_show(demo_tenants, tenant_client):
    gaz = demo_tenants["gaz"]
    with tenant_scope(gaz):
        user = User.objects.create_user(tenant=gaz, username="u", email="u@example.com", password="abc12")
    client = tenant_client(gaz)
    client.force_login(user)
    assert "Договор №" not in client.get("/overview/").content.decode()


def test_the_tenants_home_sends_a_signed_in_customer_to_the_overview(demo_tenants, tenant_client):
    gaz = demo_tenants["gaz"]
    with tenant_scope(gaz):
        user = User.objects.create_user(tenant=gaz, username="u", email="u@example.com", password="abc12")
    client = tenant_client(gaz)
    assert "Зарегистрироваться" in client.get("/").content.decode()
    client.force_login(user)
    assert client.get("/").url == "/overview/"
    assert tenant_client(gaz).get("/overview/").url.startswith("/accounts/login/")
