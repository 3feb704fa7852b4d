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

    def handle(self, *args, port=None, allow_production=False, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError("DEBUG is off: demo users have well-known passwords. Pass --allow-production to seed anyway.")
        tenants, notes = demo.seed_demo()
        port = settings.PORTAL_PORT if port is None else port
        self.stdout.write(self.style.SUCCESS(f"Demo data is ready: {len(tenants)} tenants."))
        self.stdout.write(f"\nTenant directory: {platform_base_url(port=port)}/")
        for tenant in tenants:
            self.stdout.write(f"  {tenant.slug:<8} {tenant_base_url(tenant, port=port)}/   {tenant.short_name}")
        self.stdout.write("Outgoing e-mail and SMS (DEBUG): <tenant URL>/dev/outbox/\n")
        for note in notes:
            self.stdout.write(note)
