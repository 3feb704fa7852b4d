import os

from django.core.management.base import CommandError

from billing.services import import_run_record
from portal.exchange.files import sources_from_paths
from portal.exchange.progress import terminal_progress
from portal.exchange.report import print_report, write_report_json
from portal.exchange.staging import import_files
from portal.management.tenant_command import TenantCommand


class Command(TenantCommand):
    help = (
        "Import billing's exchange files (shared/EXCHANGE.md) into a tenant: one transaction per file, "
        "applied in dependency order; importing the same files again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="FILE_OR_DIR", help="CSV files, or directories of them.")
        parser.add_argument("--dry-run", action="store_true", help="Check and report, write nothing.")
        parser.add_argument("--encoding", help="utf-8 or cp1251 (windows-1251); detected when not given (UTF-16 "
                                               "with a BOM is read too; KOI8-R and the like are refused unless named here).")
        parser.add_argument("--rows", type=int, metavar="N",
                            help="The number of data rows the file holds (one file): fewer or more refuse it as cut off.")
        parser.add_argument("--report-json", metavar="PATH", help="Also write the report as JSON to PATH.")

    def handle_tenant(self, tenant, *, paths, dry_run, encoding, report_json, rows=None, **options):
        if encoding:
            try:
                "".encode(encoding)
            except LookupError:
                raise CommandError(f"Unknown encoding {encoding!r}.") from None
        missing = [path for path in paths if not os.path.exists(path)]
        if missing:
            raise CommandError(f"No such file or directory: {', '.join(missing)}")
        sources = sources_from_paths(paths)
        if not sources:
            raise CommandError("No .csv files found.")
        if rows is not None and (len(sources) != 1 or rows < 0):
            raise CommandError("--rows counts the data rows of one file: give one file with it.")
        report = import_files(
            tenant, sources, dry_run=dry_run, encoding=encoding, progress=terminal_progress(self.stderr._out),
            rows=rows,
        )
        try:
            import_run_record(tenant, report, dry_run=dry_run, user=None)
            print_report(report, self.stdout.write)
            if dry_run:
                self.stdout.write("Dry run: everything was rolled back.")
            if report_json:
                with open(report_json, "w", encoding="utf-8") as stream:
                    write_report_json(report, stream)
        finally:
            report.close()
        if any(file_report.problem for file_report in report.files):
            raise CommandError("Some files were refused whole (see above).")
