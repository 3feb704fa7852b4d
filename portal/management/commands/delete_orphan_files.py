from django.core.management.base import BaseCommand

from portal.services import ORPHAN_MIN_AGE, orphan_files_delete


class Command(BaseCommand):
    help = ("Delete the files under MEDIA_ROOT and PRIVATE_ROOT (the FileFields' storages) that no row names and "
            "that are older than a day: left by requests whose transaction rolled back. Beat runs it daily.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List them, delete nothing.")
        parser.add_argument("--min-age-hours", type=float, default=ORPHAN_MIN_AGE / 3600,
                            help="Only files older than this (default 24: younger ones may await a commit).")

    def handle(self, *, dry_run, min_age_hours, **options):
        deleted = orphan_files_delete(min_age=min_age_hours * 3600, dry_run=dry_run)
        for location, name in deleted:
            self.stdout.write(f"{location}/{name}")
        verb = "would be deleted" if dry_run else "deleted"
        self.stdout.write(f"{len(deleted)} files no row names {verb}.")
