"""Months as billing counts them: a month is its first day (a billing period, `YYYY-MM`)."""

import re
from datetime import date

_MONTH = re.compile(r"(\d{4})-(\d{2})", re.ASCII)


def month_start(day):
    return day.replace(day=1)


def add_months(month, count):
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_between(earlier, later):
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def parse_month(text):
    """`YYYY-MM` (a month of 2000-2100) → its first day; None for anything else."""
    match = _MONTH.fullmatch(text or "")
    if match and 1 <= int(match[2]) <= 12 and 2000 <= int(match[1]) <= 2100:
        return date(int(match[1]), int(match[2]), 1)
    return None
