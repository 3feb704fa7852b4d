from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render

from .hosts import tenant_base_url
from .messaging import read_outbox
from .page_cache import anonymous_page
from .pages import tenant_page
from .selectors import tenant_directory


@anonymous_page
def home(request):
    """The platform's host lists the tenants; a tenant's host greets a visitor, and sends a
    signed-in customer to their own home, which the app that shows their data serves
    (settings.LOGIN_REDIRECT_URL: the kernel knows it by URL name only)."""
    if request.tenant is None:
        tenants = [
            (tenant, tenant_base_url(tenant, scheme=request.scheme, port=request.get_port()))
            for tenant in tenant_directory()
        ]
        return render(request, "portal/directory.html", {"tenants": tenants})
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "portal/home.html")


@anonymous_page
@tenant_page(signed_in=False)
def support(request):
    return render(request, "portal/support.html")


def dev_outbox(request):
    """DEBUG only: the latest e-mail and SMS written to the outbox, so a person trying the
    demo can read a code. A tenant's host shows that tenant's messages only, the platform's
    host only the platform's own (those sent without a tenant)."""
    if not settings.DEBUG:
        raise Http404
    tenant_slug = request.tenant.slug if request.tenant else ""
    return render(request, "portal/dev_outbox.html", {"messages_sent": read_outbox(tenant_slug=tenant_slug)})
