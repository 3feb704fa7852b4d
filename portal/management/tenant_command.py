from django.core.management.base import BaseCommand, CommandError

from portal.models import Tenant
from portal.scoping import tenant_scope


class TenantCommand(BaseCommand):
    """A command that works on one tenant: ``--tenant SLUG``, run inside that tenant's scope.

    Subclasses implement ``handle_tenant(tenant, **options)``.
    """

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.add_argument("--tenant", required=True, help="The tenant's slug, e.g. rgmek.")
        return parser

    def handle(self, *args, tenant, **options):
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            known = ", ".join(Tenant.objects.order_by("slug").values_list("slug", flat=True)) or "none"
            raise CommandError(f"No tenant with slug {tenant!r}. Known tenants: {known}.")
        with tenant_scope(found):
            return self.handle_tenant(found, *args, **options)
