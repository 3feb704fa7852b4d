"""The demo's billing data (billing/demo_data.py): loaded through the import without a
rejected row, shaped like each tenant's guide, and the load-test accounts of seed_demo."""

import re
from datetime import date

import pytest
from django.core.management import call_command
from django.utils import timezone

from billing import demo, demo_data
from billing.models import Account, BillingPayment, Charge, Invoice, Supplier
from meters.models import Meter, Reading
from portal.models import Tenant
from portal.scoping import tenant_scope


def test_every_supplier_has_valid_payee_details(demo_tenants):
    for tenant in demo_tenants.values():
        with tenant_scope(tenant):
            suppliers = list(Supplier.objects.all())
            assert suppliers
            for supplier in suppliers:
                assert supplier.has_payee, supplier.code
                supplier.full_clean()  # the settlement account's key against the BIC included


@pytest.mark.parametrize("slug", ["gaz", "mygaz", "mef", "rgmek"])
def test_the_demo_files_import_without_a_rejected_row_and_again_change_nothing(demo_tenants, slug):
    tenant = demo_tenants[slug]
    with tenant_scope(tenant):
        report = demo.import_demo_data(tenant)
    kinds = {item.kind for item in report.files}
    assert {"accounts", "meters", "readings", "charges", "payments"} <= kinds
    for item in report.files:
        assert not item.problem and item.rejected_count == 0 and not item.warnings, item.file
        assert item.read > 0 and item.created == 0 and item.updated == 0 and item.unchanged == item.read, item.file
    assert not report.written


def test_a_fresh_import_of_the_generated_files_rejects_nothing(tenants):
    """The generator against the import alone: a plain tenant with gaz's suppliers."""
    tenant = tenants[0]
    with tenant_scope(tenant):
        for fields in demo.SUPPLIERS["gaz"]:
            Supplier.objects.create(tenant=tenant, **fields, **demo.payee_details(fields["code"]))
        accounts = demo_data.demo_accounts("gaz")
        report = demo_data.import_accounts(tenant, accounts)
        assert report.written
        for item in report.files:
            assert item.rejected_count == 0 and item.created == item.read, item.file
        assert Account.objects.count() == len(accounts)


def months(periods):
    return sorted(set(periods))


def test_24_months_of_charges_readings_and_payments(demo_tenants):
    today = timezone.localdate()
    expected = demo_data.months_until(today)
    assert len(expected) == 24 and expected[-1] == today.replace(day=1)
    for slug in ("gaz", "mygaz", "mef", "rgmek"):
        with tenant_scope(demo_tenants[slug]):
            for account in Account.objects.all():
                assert months(account.charges.values_list("period", flat=True)) == expected
                assert months(account.invoices.values_list("period", flat=True)) == expected
                assert account.billing_payments.exists()
                for charge in account.charges.all():
                    assert charge.closing_balance == (charge.opening_balance + charge.charged + charge.recalculated
                                                      - charge.paid)
                    assert charge.volume > 0 and charge.tariff > 0 and charge.unit
            for meter in Meter.objects.all():
                for zone in range(1, meter.zones + 1):
                    values = list(meter.readings.filter(zone=zone).order_by("taken_on").values_list("value", flat=True))
                    assert len(values) == 24 and values == sorted(values), meter.serial
            assert not Reading.objects.filter(taken_on__gt=today).exists()
            assert not BillingPayment.objects.filter(paid_at__gt=timezone.now()).exists()


def test_the_data_fits_each_tenants_guide(demo_tenants):
    with tenant_scope(demo_tenants["gaz"]):
        accounts = list(Account.objects.select_related("supplier"))
        assert len({account.supplier_id for account in accounts}) >= 3
        for account in accounts:
            assert re.fullmatch(r"\d{10}", account.number)
            assert account.supplier.clean_account_number(account.number) == account.number
        assert set(Meter.objects.values_list("service", flat=True)) == {"gas"}
    with tenant_scope(demo_tenants["mygaz"]):
        for account in Account.objects.select_related("supplier"):
            assert re.fullmatch(r"[1-9]\d{7}", account.number) and account.pin_hash
            assert account.supplier.clean_account_number(account.number) == account.number
    with tenant_scope(demo_tenants["mef"]):
        services = set(Meter.objects.values_list("service", flat=True))
        assert services == {"electricity", "cold_water", "hot_water"}
        assert Meter.objects.filter(service="electricity", zones=2).count() == 1
        assert set(Charge.objects.values_list("unit", flat=True)) == {"kWh", "m3"}
    with tenant_scope(demo_tenants["rgmek"]):
        accounts = list(Account.objects.all())
        assert {account.subscriber_type for account in accounts} == {"legal"}
        assert {account.contract_number for account in accounts} == {"1001", "1002", "2001", "3001"}
        assert set(Charge.objects.values_list("service", flat=True)) == {"electricity"}
    with tenant_scope(demo_tenants["rosseti"]):
        assert not Account.objects.exists()


def test_sources_recalculations_debts_and_an_overpayment(demo_tenants):
    sources, recalculated, debts, overpaid = set(), 0, 0, 0
    this_month = timezone.localdate().replace(day=1)
    for slug in ("gaz", "mygaz", "mef", "rgmek"):
        with tenant_scope(demo_tenants[slug]):
            sources |= set(Reading.objects.values_list("source", flat=True))
            recalculated += Charge.objects.exclude(recalculated=0).exclude(recalculation_reason="").count()
            for invoice in Invoice.objects.filter(period=this_month):
                debts += invoice.total > 0
                overpaid += invoice.total < 0
    assert sources == {"amr", "controller", "estimated"}
    assert recalculated >= 5
    assert debts >= 4 and overpaid >= 1


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


def test_seed_demo_adds_load_test_accounts_through_the_import_once(db, debug):
    call_command("seed_demo", accounts=3, tenant="mef")
    mef = Tenant.objects.get(slug="mef")
    with tenant_scope(mef):
        generated = Account.objects.filter(number__startswith="9")
        assert generated.count() == 3
        figures = (Meter.objects.count(), Reading.objects.count(), Charge.objects.count(),
                   BillingPayment.objects.count())
        assert Charge.objects.filter(account__in=generated).count() == 3 * 3 * 24
    call_command("seed_demo", accounts=3, tenant="mef")
    with tenant_scope(mef):
        assert (Meter.objects.count(), Reading.objects.count(), Charge.objects.count(),
                BillingPayment.objects.count()) == figures


def test_the_generator_is_deterministic(tmp_path):
    today = date(2026, 3, 5)
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    for directory in (first, second):
        demo_data.write_exchange_files(directory, demo_data.demo_accounts("mef"), today)
    for path in first.iterdir():
        assert path.read_bytes() == (second / path.name).read_bytes()
