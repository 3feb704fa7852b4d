"""Each demo tenant's consumer (README's demo logins): there, activated, consents signed,
two accounts linked with full access where the tenant has accounts, and able to log in."""

import pytest

from accounts import demo as accounts_demo
from accounts.models import ConsentAcceptance, User
from billing.models import AccountLink, Counterparty
from portal.models import ConsentDocument
from portal.scoping import tenant_scope

LOGINS = {
    "rgmek": "6229001125-1001",
    "rosseti": "consumer@rosseti.example",
    "gaz": "consumer@gaz.example",
    "mef": "consumer@mef.example",
    "mygaz": "consumer@mygaz.example",
}
LINKED = {"rgmek": 2, "rosseti": 0, "gaz": 2, "mef": 2, "mygaz": 2}


@pytest.mark.parametrize("slug", list(LOGINS))
def test_the_demo_consumer_is_ready_and_logs_in(demo_tenants, tenant_client, slug):
    tenant = demo_tenants[slug]
    with tenant_scope(tenant):
        user = User.objects.get(username=LOGINS[slug])
        assert user.is_active and user.activation_deadline is None and not user.is_staff
        active = set(ConsentDocument.objects.filter(is_active=True).values_list("pk", flat=True))
        signed = set(ConsentAcceptance.objects.filter(user=user, withdrawn_at__isnull=True)
                     .values_list("document_id", flat=True))
        assert active and signed == active
        links = list(AccountLink.objects.filter(user=user).select_related("account"))
        assert len(links) == LINKED[slug]
        assert {link.access for link in links} <= {AccountLink.Access.FULL}
        assert all(link.account.charges.exists() and link.account.meters.exists() for link in links)
    client = tenant_client(tenant)
    response = client.post("/accounts/login/", {"login": LOGINS[slug], "password": accounts_demo.CONSUMER_PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_rgmeks_consumer_is_registered_to_its_counterparty(demo_tenants):
    rgmek = demo_tenants["rgmek"]
    with tenant_scope(rgmek):
        user = User.objects.get(username="6229001125-1001")
        assert user.login_is_generated
        assert Counterparty.objects.get(inn="6229001125").account == user
        linked = {link.account.contract_number for link in AccountLink.objects.filter(user=user)}
        assert linked == {"1001", "1002"}


def test_the_demo_consumers_are_in_seed_demos_notes(demo_tenants):
    from portal.demo import seed_demo

    _tenants, notes = seed_demo()
    text = "\n".join(notes)
    assert accounts_demo.CONSUMER_PASSWORD in text
    for login in LOGINS.values():
        assert login in text
