from django.forms.models import model_to_dict

from portal.management.tenant_command import TenantCommand
from portal.models import ConsentDocument


class Command(TenantCommand):
    help = "Print a tenant's settings: branding, policy, domains and consent documents (suppliers: show_suppliers)."

    def handle_tenant(self, tenant, **options):
        write = self.stdout.write
        write(f"{tenant.slug}: {tenant.name} ({tenant.get_kind_display()}){'' if tenant.is_active else ' [inactive]'}")
        write(f"Support: {', '.join(tenant.support_phone_list) or '-'}; {tenant.support_email or '-'}")
        write(f"Domains: {', '.join(d.domain for d in tenant.domains.all()) or '-'}")
        write("Policy:")
        for field, value in model_to_dict(tenant.policy, exclude=["tenant"]).items():
            write(f"  {field} = {value}")
        write("Consent documents:")
        for document in ConsentDocument.objects.filter(is_active=True):
            required = "required" if document.required else "optional"
            write(f"  {document.kind} v{document.version} ({required}, {document.moment}): {document.title}")
