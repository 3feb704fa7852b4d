"""The readings page attacked: values that are not numbers in disguise, fields for meters
and zones that are not the account's, confirmations forged up front, and the meter page
reached by another account's id."""

import datetime
from decimal import Decimal

import pytest

from accounts.factories import UserFactory
from billing.factories import AccountLinkFactory, SupplierFactory
from billing.models import Account
from meters import services
from meters.models import Meter, Reading
from portal.scoping import scopes_disabled, tenant_scope

LAST = datetime.date(2026, 10, 24)


@pytest.fixture
def world(tenants, tenant_client):
    """alpha's consumer with full access to one account (a plain meter, a two-zone one, an
    archived one), and another consumer's account with a meter."""
    alpha, _beta = tenants
    supplier = SupplierFactory(tenant=alpha, code="gas")
    user = UserFactory(tenant=alpha)
    with scopes_disabled():
        mine = Account.objects.create(tenant=alpha, supplier=supplier, number="1000000001", subscriber_type="individual")
        theirs = Account.objects.create(tenant=alpha, supplier=supplier, number="1000000002",
                                        subscriber_type="individual")
        AccountLinkFactory(user=user, account=mine)
        AccountLinkFactory(user=UserFactory(tenant=alpha), account=theirs)
        meters = {
            "plain": Meter.objects.create(tenant=alpha, account=mine, serial="P1", service="gas", digits=5, decimals=3),
            "two": Meter.objects.create(tenant=alpha, account=mine, serial="T1", service="electricity", zones=2,
                                        digits=6, decimals=0),
            "archived": Meter.objects.create(tenant=alpha, account=mine, serial="A1", service="gas",
                                             archived_on=LAST),
            "theirs": Meter.objects.create(tenant=alpha, account=theirs, serial="X1", service="gas"),
        }
        for meter in meters.values():
            for zone in range(1, meter.zones + 1):
                Reading.objects.create(tenant=alpha, meter=meter, zone=zone, value=Decimal("100"), taken_on=LAST,
                                       source="amr")
    client = tenant_client(alpha)
    client.force_login(user)
    return alpha, mine, theirs, meters, client


def portal_readings():
    with scopes_disabled():
        return list(Reading.objects.filter(source="portal"))


@pytest.mark.django_db
@pytest.mark.parametrize("value", [
    "1e3", "١٢٣", "１２３", "12,", ",5", ".5", "0x1", "-150", "+150", "1_500", "150\x00", "1" * 10_000, "150.5.1",
    "150,5,1", "∞", "NaN", "Infinity", "150.0001", "1 5 0 0 0 0", "٫5",
])
def test_values_that_are_not_a_readings_number_are_refused(world, value):
    _alpha, mine, _theirs, meters, client = world
    response = client.post(f"/personal/{mine.pk}/readings/", {f"m{meters['plain'].pk}z1": value})
    assert response.status_code == 200
    assert portal_readings() == []


@pytest.mark.django_db
def test_fields_for_meters_and_zones_that_are_not_the_accounts_are_ignored(world):
    _alpha, mine, _theirs, meters, client = world
    response = client.post(f"/personal/{mine.pk}/readings/", {
        f"m{meters['theirs'].pk}z1": "150", f"m{meters['archived'].pk}z1": "150",
        f"m{meters['plain'].pk}z2": "150", f"m{meters['two'].pk}z3": "150",
    })
    assert response.status_code == 200 and "Введите показания хотя бы одного прибора" in response.content.decode()
    # Only one zone of a two-zone meter: refused, not half-saved.
    client.post(f"/personal/{mine.pk}/readings/", {f"m{meters['two'].pk}z1": "150"})
    assert portal_readings() == []


@pytest.mark.django_db
def test_another_accounts_meter_page_and_readings_are_a_404(world):
    _alpha, mine, theirs, meters, client = world
    assert client.get(f"/personal/{mine.pk}/meters/{meters['theirs'].pk}/").status_code == 404
    assert client.get(f"/personal/{theirs.pk}/meters/{meters['theirs'].pk}/").status_code == 404
    assert client.get(f"/personal/{theirs.pk}/readings/").status_code == 404
    assert client.post(f"/personal/{theirs.pk}/readings/", {f"m{meters['theirs'].pk}z1": "150"}).status_code == 404
    assert client.get(f"/personal/{mine.pk}/meters/{'9' * 30}/").status_code == 404
    assert portal_readings() == []


@pytest.mark.django_db
def test_a_confirmation_is_stored_only_on_the_reading_that_was_asked_about(world):
    """Two zones, one lower than before: «lower» confirmed is that zone's answer. Sent up
    front on a meter with nothing to confirm, it stores no confirmation at all."""
    alpha, mine, _theirs, meters, _client = world
    two, plain = meters["two"], meters["plain"]
    when = datetime.datetime(2026, 11, 20, 12, tzinfo=datetime.UTC)
    with tenant_scope(alpha):
        submission = services.readings_submit(account=mine, meter=two, values={1: "90", 2: "120"},
                                              confirmed={"lower"}, now=when)
        forged = services.readings_submit(account=mine, meter=plain, values={1: "120"},
                                          confirmed={"lower", "jump"}, now=when)
    assert submission.saved and forged.saved
    by_zone = {reading.zone: reading for reading in submission.readings}
    assert by_zone[1].confirmed_lower and not by_zone[2].confirmed_lower
    assert not forged.readings[0].confirmed_lower and not forged.readings[0].confirmed_jump
