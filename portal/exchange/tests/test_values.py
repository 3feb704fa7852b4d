"""Single values: each parser's reasons, through a file of the kind that has such a column.
A bad value rejects its row with its line and reason; the rows after it import."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.factories import PAYMENTS_HEADER, import_rows, rejected_reasons, run_import, write_csv
from billing.models import BillingPayment, Charge
from portal.scoping import tenant_scope

NEXT_MONTH = (timezone.localdate().replace(day=1) + timedelta(days=31)).strftime("%Y-%m")
TOMORROW = (timezone.localdate() + timedelta(days=1)).strftime("%d.%m.%Y")

# (file, header, a good row, a bad row, the bad row's reason): the bad row is line 2, the
# good row line 3, so a bad row does not stop the rows after it.
BAD_VALUES = {
    "not a number": (
        "charges", "supplier;account_number;period;service;closing_balance",
        "energo;100200301;2026-09;electricity;10", "energo;100200301;2026-08;electricity;12a",
        "closing_balance: «12a» is not a number",
    ),
    "a number with spaces": (
        "payments", "supplier;account_number;paid_at;amount",
        "energo;100200300;2026-09-01T10:00:00+03:00;10", "energo;100200300;2026-09-02T10:00:00+03:00;1 000",
        "amount: «1 000» is not a number",
    ),
    "too many decimals in money": (
        "payments", "supplier;account_number;paid_at;amount",
        "energo;100200300;2026-09-01T10:00:00+03:00;10,5", "energo;100200300;2026-09-02T10:00:00+03:00;10,123",
        "amount: «10,123» has more than 2 decimals",
    ),
    "an ISO date that does not exist": (
        "contracts", "supplier;contract_number;inn;signed_on",
        "energo;2001;6229001125;2024-02-29", "energo;2002;6229001125;2026-02-31",
        "signed_on: «2026-02-31» is not a date (YYYY-MM-DD or DD.MM.YYYY)",
    ),
    "a Russian date that does not exist": (
        "contracts", "supplier;contract_number;inn;signed_on",
        "energo;2001;6229001125;29.02.2024", "energo;2002;6229001125;31.02.2026",
        "signed_on: «31.02.2026» is not a date (YYYY-MM-DD or DD.MM.YYYY)",
    ),
    "a period in the future": (
        "charges", "supplier;account_number;period;service;closing_balance",
        "energo;100200301;2026-09;electricity;10", f"energo;100200301;{NEXT_MONTH};electricity;10",
        f"period: «{NEXT_MONTH}» is in the future",
    ),
    "not a period": (
        "charges", "supplier;account_number;period;service;closing_balance",
        "energo;100200301;2026-09;electricity;10", "energo;100200301;2026-13;electricity;10",
        "period: «2026-13» is not a period (YYYY-MM)",
    ),
    "a reading taken in the future": (
        "readings", "supplier;account_number;serial;value;taken_on",
        "energo;100200300;W-001;124;2026-11-01", f"energo;100200300;W-001;125;{TOMORROW}",
        f"taken_on: «{TOMORROW}» is in the future",
    ),
    "a time without offset": (
        "payments", "supplier;account_number;paid_at;amount",
        "energo;100200300;2026-09-01T10:00:00+03:00;10", "energo;100200300;2026-09-02T10:00:00;10",
        "paid_at: «2026-09-02T10:00:00» is not a time with a UTC offset (2026-05-01T10:00:00+03:00)",
    ),
    "a zone beyond three": (
        "readings", "supplier;account_number;serial;zone;value;taken_on",
        "energo;100200300;E-001;2;4600;2026-11-01", "energo;100200300;E-001;4;100;2026-11-01",
        "zone: «4» is not a whole number from 1 to 3",
    ),
    "a bad subscriber type": (
        "accounts", "supplier;account_number;subscriber_type",
        "energo;555;legal", "energo;556;company",
        "subscriber_type: «company» is not one of: individual, legal",
    ),
    "a bad service": (
        "meters", "supplier;account_number;serial;service",
        "energo;100200301;G-1;gas", "energo;100200301;G-2;steam",
        "service: «steam» is not one of: electricity, gas, cold_water, hot_water, heat",
    ),
    "a bad phone": (
        "contracts", "supplier;contract_number;inn;phones",
        "energo;2001;6229001125;+7 900 123-45-67", "energo;2002;6229001125;+79001234567,12345",
        "phones: «12345» is not a Russian mobile number",
    ),
    "a bad e-mail": (
        "accounts", "supplier;account_number;subscriber_type;emails",
        "energo;555;individual;a@example.com", "energo;556;individual;a@example.com,not-an-email",
        "emails: «not-an-email» is not an e-mail address",
    ),
    "a bad INN": (
        "counterparties", "inn;name",
        "7700000000;ООО «Ромашка»", "77000;ООО «Лютик»",
        "inn: «77000» is not an INN (10 or 12 digits)",
    ),
    "digits of another script in money": (
        "payments", "supplier;account_number;paid_at;amount",
        "energo;100200300;2026-09-01T10:00:00+03:00;10", "energo;100200300;2026-09-02T10:00:00+03:00;١٢",
        "amount: «١٢» is not a number",
    ),
    "a superscript digit in a whole number": (
        "meters", "supplier;account_number;serial;service;digits",
        "energo;100200301;G-1;gas;5", "energo;100200301;G-2;gas;²",
        "digits: «²» is not a whole number from 1 to 12",
    ),
    "a NUL character": (
        "counterparties", "inn;name",
        "7700000000;ООО «Ромашка»", "7700000001;ООО\x00«Лютик»",
        "name: contains a NUL character (is the file plain text?)",
    ),
    "an empty required value": (
        "accounts", "supplier;account_number;subscriber_type",
        "energo;555;legal", "energo;;legal",
        "account_number is empty",
    ),
}


@pytest.mark.parametrize("kind, header, good, bad, reason", BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_a_bad_value_rejects_its_row_with_its_line_and_reason(imported, tmp_path, kind, header, good, bad, reason):
    entry, written, gained = import_rows(imported, tmp_path, kind, header, bad, good)
    assert entry["rejected"] == [{"line": 2, "reason": reason}]
    assert (entry["read"], entry["created"], entry["updated"], written, gained) == (2, 1, 0, True, 1)


@pytest.mark.django_db
@pytest.mark.parametrize("period", ["0000-05", "0000-12"])
def test_a_period_of_year_zero_is_a_rejected_row_not_a_failed_run(imported, tmp_path, period):
    path = write_csv(tmp_path, "charges.csv", f"""
        supplier;account_number;period;service;closing_balance
        energo;100200300;{period};gas;10
        energo;100200300;2026-09;gas;20
    """)
    report = run_import(imported, path)

    assert rejected_reasons(report, "charges") == [(2, f"period: «{period}» is not a period (YYYY-MM)")]
    with tenant_scope(imported):
        assert Charge.objects.get(service="gas").closing_balance == Decimal("20")


@pytest.mark.django_db
@pytest.mark.parametrize("paid_at", [
    "2026-10-05T10:15:00+20:00",  # Python takes offsets to ±23:59, PostgreSQL to ±15:59
    "0001-01-01T00:00:00+14:00",  # before year 1 in UTC: PostgreSQL stores it BC, Python cannot read it back
])
def test_a_time_postgresql_or_python_cannot_hold_is_a_rejected_row(imported, tmp_path, paid_at):
    path = write_csv(tmp_path, "payments.csv", f"""
        {PAYMENTS_HEADER}
        energo;100200300;{paid_at};1;bank;X-1
        energo;100200300;2026-10-05T10:15:00Z;2;bank;X-2
    """)
    report = run_import(imported, path)

    assert [line for line, _reason in rejected_reasons(report, "payments")] == [2]
    with tenant_scope(imported):
        assert list(BillingPayment.objects.filter(external_id__startswith="X-").values_list("external_id", "amount")) == [
            ("X-2", Decimal("2")),
        ]
