from portal.management.tenant_command import TenantCommand

from billing.models import Supplier


class Command(TenantCommand):
    help = "Print a tenant's suppliers and their account-number formats."

    def handle_tenant(self, tenant, **options):
        for supplier in Supplier.objects.all():
            state = "" if supplier.is_active else " [inactive]"
            self.stdout.write(f"{supplier.code}: {supplier.name} [{supplier.account_number_pattern}]{state}")
