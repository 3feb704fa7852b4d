from .models import Tenant


def tenant_directory():
    """Active tenants for the platform's directory page."""
    return Tenant.objects.filter(is_active=True).order_by("short_name")
