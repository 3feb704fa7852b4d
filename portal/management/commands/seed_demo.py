from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal import demo
from portal.hosts import platform_base_url, tenant_base_url


class Command(BaseCommand):
    help = "Create or update the five demo tenants, their staff users and a superuser (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--port", help="Port to print in the URLs (default: PORTAL_PORT).")
        parser.add_argument(
            "--allow-production", action="store_true",
            help="Run even with DEBUG off. The demo users have well-known passwords.",
        )

    def handle(self, *args, port=None, allow_production=False, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError("DEBUG is off: demo users have well-known passwords. Pass --allow-production to seed anyway.")
        tenants = demo.seed_demo()
        port = settings.PORTAL_PORT if port is None else port
        platform = platform_base_url(port=port)
        self.stdout.write(self.style.SUCCESS(f"Demo data is ready: {len(tenants)} tenants."))
        self.stdout.write(f"\nTenant directory: {platform}/")
        self.stdout.write(f"Platform admin:   {platform}/admin/  login {demo.SUPERUSER_USERNAME} / {demo.SUPERUSER_PASSWORD}")
        self.stdout.write(f"Admin second factor: TOTP secret {demo.OTP_DEMO_SECRET} in an authenticator app, or")
        self.stdout.write("  .venv/bin/python manage.py demo_otp_code")
        self.stdout.write("Outgoing e-mail and SMS (DEBUG): <tenant URL>/dev/outbox/\n")
        for tenant in tenants:
            url = tenant_base_url(tenant, port=port)
            self.stdout.write(f"  {tenant.slug:<8} {url}/   {tenant.short_name}")
            self.stdout.write(f"  {'':<8} {url}/admin/  staff login {demo.STAFF_USERNAME} / {demo.STAFF_PASSWORD}")
