"""Provider accounts in the admin: a platform superuser's only, the secret never shown back,
a supplier only with its own tenant."""

import pytest

from accounts.factories import UserFactory
from payments.factories import make_shop
from payments.models import ProviderAccount
from portal.scoping import scopes_disabled


@pytest.fixture
def shop(gas):
    _alpha, _beta, supplier = gas
    return make_shop(supplier, secret="live_SuperSecretKey_9876")


def admin_client(tenant, tenant_client, admin_login, **flags):
    """Staff of ``tenant`` on its host; a superuser of the platform on its host with None."""
    user = UserFactory(tenant=tenant, is_staff=True, **flags)
    client = tenant_client(tenant)
    admin_login(client, user)
    return client


@pytest.mark.django_db
def test_a_superuser_sees_the_last_four_characters_of_the_secret_only(gas, shop, tenant_client, admin_login):
    alpha, _beta, _supplier = gas
    client = admin_client(None, tenant_client, admin_login, is_superuser=True)
    page = client.get(f"/admin/payments/provideraccount/{shop.pk}/change/").content.decode()
    assert "••••9876" in page and "SuperSecretKey" not in page
    response = client.post(f"/admin/payments/provideraccount/{shop.pk}/change/", {
        "tenant": alpha.pk, "supplier": shop.supplier_id, "kind": "sandbox", "shop_id": "new-shop", "secret": "",
        "is_active": "on",
    })
    assert response.status_code == 302
    with scopes_disabled():
        shop = ProviderAccount.objects.get(pk=shop.pk)
    assert (shop.shop_id, shop.secret) == ("new-shop", "live_SuperSecretKey_9876")  # empty keeps the secret


@pytest.mark.django_db
def test_staff_who_are_not_superusers_never_reach_provider_accounts(gas, shop, tenant_client, admin_login):
    alpha, _beta, _supplier = gas
    client = admin_client(alpha, tenant_client, admin_login)
    assert client.get(f"/admin/payments/provideraccount/{shop.pk}/change/").status_code in (302, 403)
    assert client.get("/admin/payments/provideraccount/").status_code in (302, 403)
    assert "provideraccount" not in client.get("/admin/").content.decode()


@pytest.mark.django_db
def test_a_supplier_is_set_up_only_with_its_own_tenant(gas, shop, tenant_client, admin_login):
    from billing.factories import SupplierFactory

    _alpha, beta, supplier = gas
    client = admin_client(None, tenant_client, admin_login, is_superuser=True)
    page = client.post("/admin/payments/provideraccount/add/", {
        "tenant": beta.pk, "supplier": supplier.pk, "kind": "yookassa", "shop_id": "1", "secret": "s"})
    assert "Это поставщик другой организации." in page.content.decode()
    own = SupplierFactory(tenant=beta)
    assert client.post("/admin/payments/provideraccount/add/", {
        "tenant": beta.pk, "supplier": own.pk, "kind": "yookassa", "shop_id": "1", "secret": "s",
    }).status_code == 302
