from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth.backends import ModelBackend

from portal.scoping import active_tenant_scope


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

    def get_user(self, user_id):
        return _with_scope_tenant(super().get_user(user_id))


def _tenant_id(request):
    tenant = getattr(request, "tenant", None)
    return tenant.pk if tenant else None


def _with_scope_tenant(user):
    """The user of a session, given the active scope's tenant object (the request's, from
    the host cache, its policy loaded) as its tenant: the same row, so that
    ``user.tenant.policy`` costs no queries."""
    tenant = active_tenant_scope(default=None)
    if user is not None and tenant is not None and user.tenant_id == tenant.pk:
        user.tenant = tenant
    return user


class TenantAllauthBackend(AuthenticationBackend):
    """allauth's backend (login by e-mail, phone or username, as the tenant's policy says),
    with the same tenant check as above."""

    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        if user is not None and request is not None and user.tenant_id != _tenant_id(request):
            return None
        return user

    def get_user(self, user_id):
        return _with_scope_tenant(super().get_user(user_id))
