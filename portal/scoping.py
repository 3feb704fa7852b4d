"""Tenant scoping: a query on tenant-owned rows runs only inside a tenant scope.

We use django-scopes' scope state (``scope()``, ``scopes_disabled()``) as pretix does, with a
manager of our own for one reason: django-scopes applies *no filter* when the scope value is
``None``, while for us ``None`` means "the platform" (the bare domain, superusers) and must
match rows without a tenant, not every row.

- ``with tenant_scope(tenant):`` - requests (the middleware), Celery tasks, commands.
- ``with scopes_disabled():`` - platform superusers in the admin, seed_demo, migrations.
- outside both, every query through a scoped manager raises ``ScopeError``.
"""

from contextlib import contextmanager

from django.db import models
from django_scopes import ScopeError, get_scope, scope, scopes_disabled
from django_scopes.manager import DisabledQuerySet

__all__ = [
    "ScopeError", "scopes_disabled", "tenant_scope", "tenant_scoped_manager", "active_tenant_scope",
    "scope_default_manager",
]

_UNSET = object()


@contextmanager
def tenant_scope(tenant):
    """Run the block with queries limited to ``tenant`` (``None``: the platform)."""
    with scope(tenant=tenant):
        yield


def active_tenant_scope(default=_UNSET):
    """The tenant of the active scope; ``None`` for the platform.

    Raises ScopeError when no tenant scope is active, unless a default is given.
    """
    current = get_scope()
    if "tenant" in current and current.get("_enabled", True):
        return current["tenant"]
    if default is not _UNSET:
        return default
    raise ScopeError("A tenant scope needs to be active here.")


def tenant_scoped_manager(tenant_path="tenant", base=models.Manager):
    """A manager class whose querysets are filtered by the active tenant scope.

    ``tenant_path`` is the lookup from the model to its tenant ("tenant", "user__tenant").
    """

    class TenantScopedManager(base):
        # A class built in a function cannot be serialised into migrations.
        use_in_migrations = False

        def get_queryset(self):
            current = get_scope()
            queryset = super().get_queryset()
            if not current.get("_enabled", True):
                return queryset
            if "tenant" not in current:
                return DisabledQuerySet(self.model, using=self._db, missing_scopes={"tenant"})
            # filter(tenant=None) is "tenant IS NULL": the platform sees only platform rows.
            return queryset.filter(**{tenant_path: current["tenant"]})

        def all(self):
            # Manager.all() returns get_queryset() as is; make the guard raise here too.
            queryset = self.get_queryset()
            return queryset.all() if isinstance(queryset, DisabledQuerySet) else queryset

    TenantScopedManager.__name__ = f"TenantScoped{base.__name__}"
    TenantScopedManager.is_tenant_scoped = True
    return TenantScopedManager


def scope_default_manager(model, tenant_path):
    """Give a library's model (allauth's e-mail addresses, django-otp's devices, the admin's
    log) a tenant-scoped default manager, keeping its manager's methods. Called from an
    AppConfig.ready(). A second manager named ``objects`` would be silently ignored, so the
    old one is dropped from _meta and the cached manager map expired."""
    if getattr(model._default_manager, "is_tenant_scoped", False):
        return
    base = type(model._default_manager)
    meta = model._meta
    meta.local_managers = [manager for manager in meta.local_managers if manager.name != "objects"]
    manager = tenant_scoped_manager(tenant_path, base=base)()
    manager.is_tenant_scoped = True
    model.add_to_class("objects", manager)
    meta._expire_cache()
