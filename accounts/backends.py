from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth.backends import ModelBackend


class TenantModelBackend(ModelBackend):
    """Django's ModelBackend, which finds users through the tenant-scoped ``User.objects``.

    The scope does the isolation; the check below is a second lock on the same door: a user
    is never authenticated, or loaded from a session, outside their own tenant.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and request is not None and user.tenant_id != _tenant_id(request):
            return None
        return user


def _tenant_id(request):
    tenant = getattr(request, "tenant", None)
    return tenant.pk if tenant else None


class TenantAllauthBackend(AuthenticationBackend):
    """allauth's backend (login by e-mail, phone or username, as the tenant's policy says),
    with the same tenant check as above."""

    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        if user is not None and request is not None and user.tenant_id != _tenant_id(request):
            return None
        return user
