from django.core.management.base import BaseCommand

from accounts.services import expire_unactivated
from portal.models import Tenant
from portal.scoping import tenant_scope


class Command(BaseCommand):
    help = "Delete accounts past their tenant's activation window (where the policy says so)."

    def handle(self, *args, **options):
        total = 0
        for tenant in Tenant.objects.select_related("policy").order_by("slug"):
            with tenant_scope(tenant):
                deleted = expire_unactivated()
            total += deleted
            self.stdout.write(f"{tenant.slug}: {deleted} deleted")
        self.stdout.write(self.style.SUCCESS(f"Total: {total} unactivated accounts deleted."))
