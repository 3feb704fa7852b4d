from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth.backends import ModelBackend

from portal import versions
from portal.scoping import active_tenant_scope

# The scope (portal.versions) of a session's cached user row: every write of the user,
# update() included, bumps it (accounts/versions.py). The expiry is the backstop for raw SQL.
# It pays (bench/caches.py at gaz, 100,000 accounts, 2026-12-06, one round at load 7.9–9.4,
# so rough): with it off, the pages' share of the bare view fell 1.4× (median of five).
USER = "accounts.user"
SESSION_USER_TIMEOUT = 300  # seconds


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
        return _session_user(super().get_user, user_id)


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
        return _session_user(super().get_user, user_id)


def _session_user_key(tenant_id, user_id):
    return f"accounts:session-user:{tenant_id}:{user_id}"


def _session_user(load, user_id):
    """The user of a session on a tenant's host from the cache, else ``load(user_id)`` (the
    backend's query, in the tenant's scope), kept for the next request of that session: one
    query fewer on every signed-in request. Keyed by the scope's tenant and checked against
    it, like the query; the platform's host (superusers) always asks the database. Only
    what the backend returns is kept (active users); Django still checks the row's password
    hash against the session's."""
    tenant = active_tenant_scope(default=None)
    if tenant is None:
        return _with_scope_tenant(load(user_id))
    key, version_keys = _session_user_key(tenant.pk, user_id), [versions.version_key(USER, user_id)]
    # With what the user's request reads next (their links, their unread counter): one round trip.
    found = versions.prefetch([*version_keys, key, *versions.user_keys(tenant.pk, user_id)])
    user = versions.stored(key, version_keys, found)
    if user is None or user.tenant_id != tenant.pk:
        user = load(user_id)
        if user is None:
            return None
        # Before it gets the tenant object.
        versions.store(key, version_keys, found, user, timeout=SESSION_USER_TIMEOUT)
    return _with_scope_tenant(user)
