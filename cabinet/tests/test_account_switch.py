"""The header's account switch (cabinet.views.select): it keeps the choice for every page,
returns to the same page of the newly chosen account, never leaves the host, and knows only
the user's own accounts."""

import pytest

from accounts.factories import UserFactory
from billing.factories import SupplierFactory, link
from billing.models import AccountLink
from meters.factories import linked_accounts, make_account
from portal.scoping import scopes_disabled
from portal.testing import text_of


@pytest.mark.django_db
def test_switching_accounts_keeps_the_choice_and_ignores_foreign_ids(gas, consumer, tenant_client):
    alpha, beta, supplier = gas
    user, client = consumer
    first, second = linked_accounts(user, supplier, "23185952", "23185953")
    assert "Лицевой счёт № 23185952" in text_of(client.get("/overview/"))
    # The switch is in the header of every page, and returns to the same page of the new account.
    page = text_of(client.get(f"/personal/{first.pk}/history/"))
    assert 'id="account-switch"' in page and f'<option value="{second.pk}">23185953' in page
    response = client.post("/personal/select/", {"account": second.pk, "next": f"/personal/{first.pk}/history/"})
    assert response.url == f"/personal/{second.pk}/history/"
    assert "Лицевой счёт № 23185953" in client.get("/overview/").content.decode()
    response = client.post("/personal/select/", {"account": first.pk, "next": "https://evil.example/"})
    assert response.url == "/overview/"
    client.post("/personal/select/", {"account": second.pk})
    stranger_account = make_account(supplier, "23185954")
    assert client.post("/personal/select/", {"account": stranger_account.pk}).status_code == 404
    assert client.post("/personal/select/", {"account": "x"}).status_code == 404
    assert "Лицевой счёт № 23185953" in client.get("/overview/").content.decode()


@pytest.mark.django_db
def test_the_switch_answers_404_alike_for_foreign_and_missing_accounts(gas, consumer, tenant_client):
    alpha, beta, supplier = gas
    _user, client = consumer
    neighbour = UserFactory(tenant=alpha)
    neighbours = make_account(supplier, "23185952")
    link(neighbour, neighbours)
    other_tenant = make_account(SupplierFactory(tenant=beta, code="ryazan"), "23185952")
    link(UserFactory(tenant=beta), other_tenant)
    for account_id in (neighbours.pk, other_tenant.pk, 999999, "abc"):
        assert client.post("/personal/select/", {"account": account_id}).status_code == 404, account_id
    response = tenant_client(alpha).post("/personal/select/", {"account": neighbours.pk})
    assert response.status_code == 302 and "/accounts/login/" in response.url
    with scopes_disabled():
        assert AccountLink.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("target", [
    "//evil.example/", "/\\evil.example/", "\\\\evil.example", "https:evil.example", "https://evil.example/",
    "http://alpha.localhost:8080/", "//alpha.localhost@evil.example/", "/\t/evil.example/", " //evil.example",
    "\x00//evil.example", "javascript:alert(1)", "///evil.example",
])
def test_the_switch_never_redirects_off_the_host(gas, consumer, target):
    _alpha, _beta, supplier = gas
    user, client = consumer
    (first,) = linked_accounts(user, supplier, "23185952")
    response = client.post("/personal/select/", {"account": first.pk, "next": target})
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/") and not location.startswith("//") and "\\" not in location[:3], location
