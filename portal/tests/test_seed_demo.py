import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.forms.models import model_to_dict

from accounts.models import ConsentAcceptance, User
from billing.models import (
    Account, AccountLink, BillingPayment, Charge, Contract, Counterparty, ImportRun, Invoice, Supplier,
)
from meters.models import Meter, Reading, ReadingWindow
from portal.models import ConsentDocument, Tenant, TenantDomain, TenantPolicy
from portal.scoping import scopes_disabled

SEEDED_MODELS = [
    Tenant, TenantPolicy, TenantDomain, Supplier, ConsentDocument, User, Group, ConsentAcceptance,
    Counterparty, Contract, Account, AccountLink, Meter, Reading, ReadingWindow, Charge, Invoice, BillingPayment,
    ImportRun,
]


def snapshot():
    with scopes_disabled():
        return {
            model.__name__: sorted((repr(model_to_dict(row)) for row in model._default_manager.all()))
            for model in SEEDED_MODELS
        }


@pytest.fixture
def debug(settings):
    settings.DEBUG = True  # seed_demo is for development; pytest-django turns DEBUG off


def test_seed_demo_creates_the_five_tenants(db, debug, capsys):
    call_command("seed_demo", port="8123")
    output = capsys.readouterr().out
    assert set(Tenant.objects.values_list("slug", flat=True)) == {"rgmek", "rosseti", "gaz", "mef", "mygaz"}
    for slug in ("rgmek", "rosseti", "gaz", "mef", "mygaz"):
        assert f"http://{slug}.localhost:8123/" in output
    assert "director / demo-director-2026" in output
    assert "staff / demo-staff-2026" in output and "admin / demo-admin-2026" in output
    assert "demo-consumer-2026" in output and "6229001125-1001" in output and "consumer@gaz.example" in output
    with scopes_disabled():
        assert Supplier.objects.filter(tenant__slug="gaz").count() == 9
        # Each tenant's staff member and its director, who reads the audit trail.
        assert User.objects.filter(is_staff=True, tenant__isnull=False).count() == 10
        assert User.objects.filter(username="director", groups__name="Суперпользователи организации").count() == 5
        assert User.objects.get(username="admin").is_superuser
        for tenant in Tenant.objects.all():
            assert tenant.consent_documents.filter(kind="personal_data", is_active=True).exists()


def test_seed_demo_sets_the_guides_reading_windows(db, debug):
    from meters.services import Window, reading_window
    from portal.scoping import tenant_scope

    call_command("seed_demo")
    expected = {"gaz": Window(15, 25, False), "mygaz": Window(15, 25, True), "mef": Window(20, 25, False),
                "rgmek": Window(1, 5, False)}
    for slug, window in expected.items():
        tenant = Tenant.objects.get(slug=slug)
        with tenant_scope(tenant):
            assert {reading_window(account) for account in Account.objects.all()} == {window}, slug


def test_seed_demo_twice_changes_nothing(db, debug):
    call_command("seed_demo")
    first = snapshot()
    assert all(first[model.__name__] for model in SEEDED_MODELS if model not in (TenantDomain, ImportRun))
    call_command("seed_demo")
    assert snapshot() == first


def test_seed_demo_refuses_production_unless_asked(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("seed_demo")
    call_command("seed_demo", allow_production=True)
    assert Tenant.objects.count() == 5
