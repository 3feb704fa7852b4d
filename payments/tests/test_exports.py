"""export_payments: each succeeded payment once, a month re-exported for checking, one tenant's."""

import csv
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from billing.factories import export_rows
from meters.factories import meter_with_account
from payments import exports, services
from payments.factories import pay_through
from payments.models import Payment
from portal.scoping import scopes_disabled, tenant_scope


def pay(account, amount, *, status="succeeded", when=None):
    with scopes_disabled():
        return Payment.objects.create(
            tenant_id=account.tenant_id, account=account, amount=Decimal(amount), status=status,
            provider="sandbox", provider_payment_id=f"sb-{amount}", invoice_number="INV-7",
            succeeded_at=(when or timezone.now()) if status == "succeeded" else None,
        )


@pytest.mark.django_db
def test_payments_since_last_sends_each_succeeded_payment_once(tenants, tmp_path):
    alpha, beta = tenants
    account = meter_with_account(alpha).account
    first = pay(account, "1500.5")
    pay(account, "10", status="pending")  # not paid: never exported
    pay(meter_with_account(beta).account, "99")  # another tenant's

    with tenant_scope(alpha):
        result = exports.export_payments(alpha, tmp_path)
    rows = export_rows(result.path)
    assert [row["provider_payment_id"] for row in rows] == ["sb-1500.5"]
    assert rows[0] | {"paid_at": ""} == {
        "supplier": "main", "account_number": "1000000001", "paid_at": "", "amount": "1500.50",
        "provider": "sandbox", "provider_payment_id": "sb-1500.5", "invoice_number": "INV-7",
    }
    assert result.path.name.startswith("payments_export_alpha_")
    with scopes_disabled():
        assert Payment.objects.get(pk=first.pk).export_id == result.run.pk

    second = pay(account, "20")
    with tenant_scope(alpha):
        again = exports.export_payments(alpha, tmp_path, now=timezone.now() + timedelta(seconds=1))
        check = exports.export_payments(alpha, tmp_path / "check", period=timezone.localdate().replace(day=1))
    assert [row["provider_payment_id"] for row in export_rows(again.path)] == [second.provider_payment_id]
    assert sorted(row["provider_payment_id"] for row in export_rows(check.path)) == ["sb-1500.5", "sb-20"]
    with scopes_disabled():
        assert not Payment.objects.filter(export=check.run).exists()


@pytest.mark.django_db
def test_export_payments_command(tenants, tmp_path, capsys):
    alpha, _beta = tenants
    pay(meter_with_account(alpha).account, "5")
    call_command("export_payments", "--tenant", alpha.slug, "--out", str(tmp_path), "--since-last")
    assert "1 payments written to" in capsys.readouterr().out


# --- Attacks: money after the fact ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_payment_refunded_before_the_export_is_not_reported_as_paid_in_full(payer, tmp_path):
    _user, client, account, _shop = payer
    payment = pay_through(client, account, kind="amount", amount="100")
    with scopes_disabled():
        services.payment_refund(Payment.objects.select_related("provider_account").get(pk=payment.pk))
        assert Payment.objects.get(pk=payment.pk).status == "refunded"
    with tenant_scope(account.tenant):
        result = exports.export_payments(account.tenant, tmp_path)
    rows = []
    if result.path:
        with open(result.path, newline="", encoding="utf-8") as file:
            rows = [row for row in csv.DictReader(file, delimiter=";")
                    if row["provider_payment_id"] == payment.provider_payment_id]
    # Left out, or reported with its refund (a refund column, or a row of its own taking it back).
    assert sum(Decimal(row["amount"]) - Decimal(row.get("refunded_amount") or "0") for row in rows) == 0
