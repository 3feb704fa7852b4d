from django.core.management.base import CommandError

from portal.management.tenant_command import TenantCommand
from portal.months import parse_month


def parse_period(value):
    period = parse_month(value)
    if period is None:
        raise CommandError(f"--period must be YYYY-MM (a month of 2000-2100), not {value!r}.")
    return period


class ExportCommand(TenantCommand):
    """``--out DIR`` and either ``--since-last`` or ``--period YYYY-MM``; subclasses name
    the export function and what it writes."""

    export = None  # (tenant, out_dir, *, period) -> ExportResult
    noun = "rows"

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, metavar="DIR", help="Directory the file is written to.")
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--since-last", action="store_true", help="What no earlier export sent; marks it.")
        which.add_argument("--period", metavar="YYYY-MM", help="One month again, for checking; marks nothing.")

    def handle_tenant(self, tenant, *, out, since_last, period, **options):
        result = type(self).export(tenant, out, period=parse_period(period) if period else None)
        self.stdout.write(f"{result.rows} {self.noun} written to {result.path}")
