import ipaddress

from auditlog.middleware import AuditlogMiddleware
from django.urls import reverse

from portal.ratelimits import client_ip

from .recording import recording_admin_changes


class AdminAuditMiddleware(AuditlogMiddleware):
    """django-auditlog's middleware (the actor is ``request.user``), for admin requests only.

    After AuthenticationMiddleware. The address is the client's as the rate limits take it
    (``X-Forwarded-For`` only behind the configured proxies), not the library's reading of
    the header, which a client could write itself."""

    def __call__(self, request):
        if not request.path_info.startswith(reverse("admin:index")):
            return self.get_response(request)
        with recording_admin_changes():
            return super().__call__(request)

    @staticmethod
    def _get_remote_addr(request):
        address = client_ip(request)
        try:
            ipaddress.ip_address(address)
        except ValueError:
            return None
        return address

    @staticmethod
    def _get_remote_port(request):
        return None
