"""The guard: tenant-owned rows are reachable only inside a tenant scope - in requests,
Celery tasks and commands alike."""

import pytest
from celery import shared_task
from django.core.management import CommandError, call_command

from accounts.models import User
from billing.models import Supplier
from portal.models import ConsentDocument
from portal.scoping import ScopeError, active_tenant_scope, scopes_disabled, tenant_scope


@shared_task
def count_suppliers_without_scope():
    return Supplier.objects.count()


@shared_task
def count_suppliers_of(tenant_id):
    from portal.models import Tenant

    with tenant_scope(Tenant.objects.get(pk=tenant_id)):
        return Supplier.objects.count()


@pytest.mark.parametrize(
    "query",
    [
        lambda: list(Supplier.objects.all()),
        lambda: Supplier.objects.count(),
        lambda: Supplier.objects.filter(code="rgmek").exists(),
        lambda: Supplier.objects.get(code="rgmek"),
        lambda: list(ConsentDocument.objects.all()),
        lambda: User.objects.filter(username="staff").first(),
        lambda: User.objects.get_by_natural_key("staff"),
    ],
)
def test_unscoped_queries_raise(demo_tenants, query):
    with pytest.raises(ScopeError):
        query()


def test_related_managers_are_scoped_too(demo_tenants):
    with pytest.raises(ScopeError):
        list(demo_tenants["gaz"].suppliers.all())


def test_a_scope_shows_only_its_tenant(demo_tenants):
    gaz, mygaz = demo_tenants["gaz"], demo_tenants["mygaz"]
    with tenant_scope(gaz):
        assert {s.tenant_id for s in Supplier.objects.all()} == {gaz.pk}
        assert Supplier.objects.count() == 9
        # Same supplier code exists at mygaz; the scope picks gaz's.
        assert Supplier.objects.get(code="pskov").tenant == gaz
        assert list(mygaz.suppliers.all()) == []
        assert active_tenant_scope() == gaz


def test_platform_scope_sees_only_rows_without_a_tenant(demo_tenants):
    # django-scopes itself would apply no filter for None; ours means "the platform".
    with tenant_scope(None):
        assert list(User.objects.values_list("username", flat=True)) == ["admin"]
        assert Supplier.objects.count() == 0


def test_scopes_disabled_sees_everything(demo_tenants):
    with scopes_disabled():
        assert User.objects.filter(username="staff").count() == 5


def test_celery_task_without_a_scope_raises(demo_tenants):
    with pytest.raises(ScopeError):
        count_suppliers_without_scope.apply(throw=True)


def test_celery_task_that_enters_its_tenant_scope_works(demo_tenants):
    assert count_suppliers_of.apply(args=[demo_tenants["gaz"].pk], throw=True).get() == 9


def test_a_request_runs_in_its_tenant_scope(demo_tenants, tenant_client):
    response = tenant_client(demo_tenants["mef"]).get("/")
    assert response.status_code == 200
    # Outside the request the scope is gone again.
    with pytest.raises(ScopeError):
        Supplier.objects.count()


def test_tenant_command_runs_in_the_tenants_scope(demo_tenants, capsys):
    call_command("show_tenant", tenant="rgmek")
    output = capsys.readouterr().out
    assert "rgmek: Общество с ограниченной ответственностью «Рязанская" in output
    call_command("show_suppliers", tenant="rgmek")
    output = capsys.readouterr().out
    assert "rgmek: ООО «РГМЭК»" in output
    assert "Межрегионгаз" not in output  # gaz's suppliers are not rgmek's


def test_tenant_command_refuses_an_unknown_tenant(demo_tenants):
    with pytest.raises(CommandError, match="No tenant with slug 'nope'"):
        call_command("show_tenant", tenant="nope")
