from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from portal.models import Tenant
from portal.services import tenant_create


class Command(BaseCommand):
    help = "Create a tenant with the platform's default policy; configure the rest in the admin."

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True, help="Subdomain: <slug>.<PORTAL_DOMAIN>.")
        parser.add_argument("--name", required=True, help="Full legal name.")
        parser.add_argument("--short-name", required=True, help="Name shown in the header.")
        parser.add_argument("--kind", required=True, choices=Tenant.Kind.values)
        parser.add_argument("--domain", action="append", default=[], help="An own domain (repeatable).")
        parser.add_argument("--support-email", default="")
        parser.add_argument("--support-phone", action="append", default=[], help="Repeatable.")

    def handle(self, *args, **options):
        try:
            tenant = tenant_create(
                slug=options["slug"], name=options["name"], short_name=options["short_name"],
                kind=options["kind"], domains=options["domain"], support_email=options["support_email"],
                support_phones="\n".join(options["support_phone"]),
            )
        except ValidationError as error:
            messages = [f"{field}: {' '.join(errors)}" for field, errors in error.message_dict.items()]
            raise CommandError("Tenant not created. " + "; ".join(messages)) from None
        self.stdout.write(self.style.SUCCESS(f"Created tenant {tenant.slug} ({tenant.short_name})."))
