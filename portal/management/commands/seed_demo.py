from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal import demo
from portal.hosts import platform_base_url, tenant_base_url


class Command(BaseCommand):
    help = "Create or update the five demo tenants and every app's demo data (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--port", help="Port to print in the URLs (default: PORTAL_PORT).")
        parser.add_argument(
            "--allow-production", action="store_true",
            help="Run even with DEBUG off. The demo users have well-known passwords.",
        )
        parser.add_argument(
            "--accounts", type=int, default=0, metavar="N",
            help="Also add N generated personal accounts (meters, 24 months of readings, charges, payments) "
            "to one tenant, through the billing import: for load tests. Idempotent for the same N.",
        )
        parser.add_argument("--tenant", default="gaz", help="The tenant --accounts fills (default: gaz).")

    def handle(self, *args, port=None, allow_production=False, accounts=0, tenant="gaz", **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError("DEBUG is off: demo users have well-known passwords. Pass --allow-production to seed anyway.")
        if accounts < 0:
            raise CommandError("--accounts takes a number of accounts, 0 or more.")
        if accounts and tenant not in {definition["slug"] for definition in demo.TENANTS}:
            raise CommandError(f"No demo tenant {tenant!r}: one of {', '.join(d['slug'] for d in demo.TENANTS)}.")
        tenants, notes = demo.seed_demo()
        if accounts:
            # Outside seed_demo's transaction: the import commits file by file, and a large
            # load must not sit in one transaction.
            target = next(found for found in tenants if found.slug == tenant)
            for seed_accounts in demo.app_demo_hooks("seed_accounts"):
                notes.append(seed_accounts(target, accounts))
        port = settings.PORTAL_PORT if port is None else port
        self.stdout.write(self.style.SUCCESS(f"Demo data is ready: {len(tenants)} tenants."))
        self.stdout.write(f"\nTenant directory: {platform_base_url(port=port)}/")
        for tenant in tenants:
            self.stdout.write(f"  {tenant.slug:<8} {tenant_base_url(tenant, port=port)}/   {tenant.short_name}")
        self.stdout.write("Outgoing e-mail and SMS (DEBUG): <tenant URL>/dev/outbox/\n")
        for note in notes:
            self.stdout.write(note)
