"""Keys for django-ratelimit that keep tenants apart: the same login at two tenants is two
people, so attempts against one must not lock out the other."""


def per_tenant_field(field):
    def key(group, request):
        tenant = getattr(request, "tenant", None)
        return f"{tenant.pk if tenant else '-'}:{request.POST.get(field, '').strip().lower()}"

    return key
