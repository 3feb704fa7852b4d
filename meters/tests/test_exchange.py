"""meters.csv and readings.csv (meters/exchange.py) through import_billing: the rows only
the meter can refuse, and billing's verdicts on the readings the portal exported."""

import pytest

from billing.factories import bad_row_outcome, rejected_reasons, run_import, write_csv, write_exchange_files
from meters.factories import VERDICT_HEADER, portal_reading
from meters.models import Reading
from portal.scoping import tenant_scope

# (file, header, a good row, a bad row, the bad row's reason): the bad row is line 2.
BAD_ROWS = {
    "an unknown account for a meter": (
        "meters", "supplier;account_number;serial;service",
        "energo;100200301;G-1;gas", "energo;999999;G-2;gas",
        "unknown account energo 999999",
    ),
    "a reading of an unknown meter": (
        "readings", "supplier;account_number;serial;value;taken_on",
        "energo;100200300;W-001;124;2026-11-01", "energo;100200300;X-404;124;2026-11-01",
        "unknown meter energo 100200300 X-404",
    ),
    "more whole digits than the meter has": (
        "readings", "supplier;account_number;serial;zone;value;taken_on",
        "energo;100200300;E-001;1;999999,9;2026-11-01", "energo;100200300;E-001;2;1000000;2026-11-01",
        "value «1000000» has more digits than the meter (6+1 before and after the point)",
    ),
    "more decimals than the meter has": (
        "readings", "supplier;account_number;serial;zone;value;taken_on",
        "energo;100200300;E-001;1;12400,5;2026-11-01", "energo;100200300;E-001;2;4600,25;2026-11-01",
        "value «4600.25» has more digits than the meter (6+1 before and after the point)",
    ),
    "a zone beyond the meter's zones": (
        "readings", "supplier;account_number;serial;zone;value;taken_on",
        "energo;100200300;E-001;2;4600;2026-11-01", "energo;100200300;E-001;3;100;2026-11-01",
        "zone 3 but the meter has 2",
    ),
}


@pytest.mark.parametrize("kind, header, good, bad, reason", BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_a_row_the_meter_refuses_is_rejected(imported, tmp_path, kind, header, good, bad, reason):
    rejected, counts = bad_row_outcome(imported, tmp_path, kind, header, good, bad)
    assert rejected == [{"line": 2, "reason": reason}] and counts == (2, 1, 0, True, 1)


def test_bad_rows_of_every_kind_keep_their_own_line_numbers(imported, tmp_path):
    readings = """
        supplier;account_number;serial;zone;value;taken_on

        energo;100200300;E-001;1;abc;2026-11-01
        energo;100200300;E-001;1;12400;2026-11-01
        energo;100200300;E-001;3;12400;2026-11-01
        energo;100200300;W-001;1;123,4567;2026-11-01
    """
    report = run_import(imported, write_csv(tmp_path, "readings.csv", readings))

    entry = report["files"][0]
    assert entry["rejected"] == [  # line 2 is blank: no row, but a line
        {"line": 3, "reason": "value: «abc» is not a number"},
        {"line": 5, "reason": "zone 3 but the meter has 2"},
        {"line": 6, "reason": "value «123.4567» has more digits than the meter (5+3 before and after the point)"},
    ]
    assert (entry["read"], entry["created"]) == (4, 1)


# --- Billing's verdict on exported portal readings -------------------------------------------


def test_billings_verdict_updates_the_exported_portal_reading(imported, tmp_path):
    rejected = portal_reading(imported)
    accepted = portal_reading(imported, serial="W-001", value="124")
    readings = f"""
        {VERDICT_HEADER}
        energo;100200300;E-001;1;12400;2026-11-01;portal;{rejected.pk};rejected;меньше предыдущего показания
        energo;100200300;W-001;1;124;01.11.2026;portal;{accepted.pk};accepted;
    """
    report = run_import(imported, write_csv(tmp_path, "readings.csv", readings))

    entry = report["files"][0]
    assert (entry["created"], entry["updated"], entry["rejected"]) == (0, 2, [])
    with tenant_scope(imported):
        rejected.refresh_from_db()
        accepted.refresh_from_db()
        assert Reading.objects.count() == 5  # three of billing's, two of the portal's: no new row
    assert (rejected.status, rejected.status_reason) == ("rejected", "меньше предыдущего показания")
    assert (accepted.status, accepted.status_reason) == ("accepted", "")
    again = run_import(imported, tmp_path / "readings.csv")
    assert (again["files"][0]["updated"], again["files"][0]["unchanged"]) == (0, 2)


def test_a_verdict_on_a_reading_not_yet_exported_is_rejected(imported, tmp_path):
    submitted = portal_reading(imported, status=Reading.Status.SUBMITTED)
    readings = f"""
        {VERDICT_HEADER}
        energo;100200300;E-001;1;12400;2026-11-01;portal;{submitted.pk};accepted;
        energo;100200300;E-001;1;12400;2026-11-01;portal;;accepted;
        energo;100200300;E-001;1;12400;2026-11-01;portal;{submitted.pk};;
    """
    report = run_import(imported, write_csv(tmp_path, "readings.csv", readings))

    assert report["files"][0]["rejected"] == [
        {"line": 2, "reason": f"portal reading {submitted.pk} was never exported"},
        {"line": 3, "reason": "status is only for rows with portal_reading_id"},
        {"line": 4, "reason": "a row with portal_reading_id needs status accepted or rejected"},
    ]
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_a_verdict_on_another_tenants_reading_is_rejected(imported, beta, tmp_path):
    run_import(beta, write_exchange_files(tmp_path / "beta"))
    theirs = portal_reading(beta)
    readings = f"""
        {VERDICT_HEADER}
        energo;100200300;E-001;1;12400;2026-11-01;portal;{theirs.pk};rejected;чужое
    """
    report = run_import(imported, write_csv(tmp_path, "readings.csv", readings))

    assert report["files"][0]["rejected"] == [
        {"line": 2, "reason": f"portal reading {theirs.pk} does not exist for this meter"},
    ]
    assert report["written"] is False
    theirs.refresh_from_db()
    assert (theirs.status, theirs.status_reason) == ("exported", "")


@pytest.mark.django_db
def test_two_verdicts_on_one_portal_reading_the_last_line_wins(imported, tmp_path):
    """Verdicts were keyed by the reading's id *and* the row's zone, day and source: two
    verdicts on one reading that differ in the day were both applied ("updated 2"), and
    which one PostgreSQL kept was the join's arbitrary choice."""
    reading = portal_reading(imported)
    readings = f"""
        {VERDICT_HEADER}
        energo;100200300;E-001;1;12400;2026-11-01;portal;{reading.pk};rejected;первый ответ
        energo;100200300;E-001;1;12400;2026-11-02;portal;{reading.pk};accepted;
    """
    report = run_import(imported, write_csv(tmp_path, "readings.csv", readings))

    assert rejected_reasons(report, "readings") == [(2, "superseded by line 3 (same key)")]
    assert report["files"][0]["updated"] == 1
    reading.refresh_from_db()
    assert (reading.status, reading.status_reason) == ("accepted", "")
