from django.core.management.base import BaseCommand

from accounts.services import users_expire_unactivated


class Command(BaseCommand):
    help = "Delete accounts past their tenant's activation window (where the policy says so)."

    def handle(self, *args, **options):
        deleted = users_expire_unactivated()
        for slug, count in deleted.items():
            self.stdout.write(f"{slug}: {count} deleted")
        self.stdout.write(self.style.SUCCESS(f"Total: {sum(deleted.values())} unactivated accounts deleted."))
