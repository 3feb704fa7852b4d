"""export_readings (meters/exchange.py, through billing.exports.run_export): nothing sent
twice, nothing missed, atomic files, one tenant's rows, no value rounded."""

import threading
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from billing import exports
from billing.factories import export_rows
from billing.models import ExportRun
from meters import exchange
from meters.factories import meter_with_account, submitted_reading
from meters.models import Reading
from portal.scoping import scopes_disabled, tenant_scope


def reading_ids(path):
    return sorted(int(row["reading_id"]) for row in export_rows(path))


def export(tenant, out, **options):
    with tenant_scope(tenant):
        return exchange.export_readings(tenant, out, **options)


@pytest.mark.django_db
def test_since_last_sends_each_reading_once_and_marks_it(tenants, tmp_path):
    alpha, _beta = tenants
    meter = meter_with_account(alpha)
    first, second = submitted_reading(meter, "123.45"), submitted_reading(meter, "124.5")

    result = export(alpha, tmp_path)
    assert reading_ids(result.path) == [first.pk, second.pk]
    row = export_rows(result.path)[0]
    assert row == {
        "supplier": "main", "account_number": "1000000001", "serial": "S-1000000001", "zone": "1",
        "value": "123.450", "taken_on": first.taken_on.isoformat(), "source": "portal",
        "submitted_at": row["submitted_at"], "reading_id": str(first.pk),
    }
    assert "+03:00" in row["submitted_at"] or "+" in row["submitted_at"]  # a time with its offset
    with scopes_disabled():
        assert set(Reading.objects.values_list("status", flat=True)) == {"exported"}

    third = submitted_reading(meter, "125")
    again = export(alpha, tmp_path, now=timezone.now() + timedelta(seconds=1))
    assert reading_ids(again.path) == [third.pk]
    nothing = export(alpha, tmp_path, now=timezone.now() + timedelta(seconds=2))
    assert nothing.rows == 0 and reading_ids(nothing.path) == []


@pytest.mark.django_db
def test_period_reexport_marks_nothing(tenants, tmp_path):
    alpha, _beta = tenants
    meter = meter_with_account(alpha)
    today = timezone.localdate()
    month = today.replace(day=1)
    this_month = submitted_reading(meter, "10", taken_on=month)
    submitted_reading(meter, "5", taken_on=month - timedelta(days=1))  # the month before
    export(alpha, tmp_path)  # exported once

    check = export(alpha, tmp_path, period=month, now=timezone.now() + timedelta(seconds=1))
    assert reading_ids(check.path) == [this_month.pk]
    with scopes_disabled():
        assert Reading.objects.filter(export=check.run).count() == 0
    assert check.path.name.startswith(f"readings_export_{alpha.slug}_{month:%Y-%m}_")


@pytest.mark.django_db
def test_export_holds_only_its_tenants_readings(tenants, tmp_path):
    alpha, beta = tenants
    alpha_meter, beta_meter = meter_with_account(alpha), meter_with_account(beta)
    mine = submitted_reading(alpha_meter, "1")
    theirs = submitted_reading(beta_meter, "2")
    result = export(alpha, tmp_path)
    assert reading_ids(result.path) == [mine.pk]
    with scopes_disabled():
        assert Reading.objects.get(pk=theirs.pk).status == "submitted"


@pytest.mark.django_db(transaction=True)  # a real rollback, as in production
def test_a_failed_write_leaves_no_file_and_nothing_marked(tenants, tmp_path, monkeypatch):
    alpha, _beta = tenants
    submitted_reading(meter_with_account(alpha), "1")

    def broken(reading):
        raise OSError("disk full")

    monkeypatch.setattr(exchange, "_reading_row", broken)
    with pytest.raises(OSError):
        export(alpha, tmp_path)
    assert list(tmp_path.iterdir()) == []
    with scopes_disabled():
        assert Reading.objects.get().status == "submitted"
        assert not ExportRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_reading_written_during_an_export_goes_into_the_next_one(tenants, tmp_path, monkeypatch):
    """Two connections: the export is paused after marking, while another request submits
    and commits a reading; that reading must be neither in this file nor lost."""
    alpha, _beta = tenants
    meter = meter_with_account(alpha)
    before = submitted_reading(meter, "1")
    marked, resume = threading.Event(), threading.Event()
    real_write = exports._write_atomically

    def paused_write(path, rows, columns):
        marked.set()
        assert resume.wait(10)
        return real_write(path, rows, columns)

    monkeypatch.setattr(exports, "_write_atomically", paused_write)
    results = {}

    def run_export():
        try:
            results["first"] = export(alpha, tmp_path)
        finally:
            connection.close()

    worker = threading.Thread(target=run_export)
    worker.start()
    assert marked.wait(10)
    during = submitted_reading(meter, "2")  # committed by this connection while the export's transaction is open
    resume.set()
    worker.join(10)

    assert reading_ids(results["first"].path) == [before.pk]
    monkeypatch.setattr(exports, "_write_atomically", real_write)
    second = export(alpha, tmp_path, now=timezone.now() + timedelta(seconds=1))
    assert reading_ids(second.path) == [during.pk]


@pytest.mark.django_db
def test_two_since_last_exports_in_the_same_second_keep_both_files(tenants, tmp_path):
    """The file name had a one-second stamp: the second export of that second replaced the
    first's file, whose readings were marked as sent and never reached billing."""
    alpha_tenant, _beta = tenants
    meter = meter_with_account(alpha_tenant)
    first = submitted_reading(meter, "1.5")
    now = timezone.now()
    with tenant_scope(alpha_tenant):
        one = exchange.export_readings(alpha_tenant, tmp_path, now=now)
    second = submitted_reading(meter, "2.5")
    with tenant_scope(alpha_tenant):
        two = exchange.export_readings(alpha_tenant, tmp_path, now=now)

    assert one.path != two.path
    assert reading_ids(one.path) == [first.pk]
    assert reading_ids(two.path) == [second.pk]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([one.path.name, two.path.name])


@pytest.mark.django_db
def test_an_export_never_rounds_a_submitted_reading(tenants, tmp_path):
    """A reading keeps the decimals it was submitted with; a later meters.csv may lower the
    meter's decimals, and the export rounded 123.456 to 123."""
    alpha_tenant, _beta = tenants
    meter = meter_with_account(alpha_tenant, decimals=3)
    submitted_reading(meter, "123.456")
    submitted_reading(meter, "7")
    type(meter).objects.model._base_manager.filter(pk=meter.pk).update(decimals=0)
    with tenant_scope(alpha_tenant):
        result = exchange.export_readings(alpha_tenant, tmp_path)
    assert [row["value"] for row in export_rows(result.path)] == ["123.456", "7"]


@pytest.mark.django_db
def test_command(tenants, tmp_path, capsys):
    alpha, _beta = tenants
    submitted_reading(meter_with_account(alpha), "7")
    call_command("export_readings", "--tenant", alpha.slug, "--out", str(tmp_path), "--since-last")
    assert "1 readings written to" in capsys.readouterr().out
    call_command("export_readings", "--tenant", alpha.slug, "--out", str(tmp_path / "check"), "--period",
                 f"{date.today():%Y-%m}")
    for period in ("2026-13", "0000-01", "9999-12", "26-01"):
        with pytest.raises(Exception, match="YYYY-MM"):
            call_command("export_readings", "--tenant", alpha.slug, "--out", str(tmp_path), "--period", period)
