"""Who reads the trail: platform superusers on the platform's host, and a tenant's
superusers on its own host.

A tenant has no Django superusers (``superusers_belong_to_platform``: ``is_superuser`` is
the platform's), and permissions will not do either: a staff member may hold every
permission there is and still must not read what staff did. A tenant's superuser is a
staff member of that tenant in the group ``TENANT_SUPERUSERS_GROUP`` (portal.roles, the
ladder of roles); only platform superusers change a user's groups (accounts.admin's
privilege fields), and the change is itself on the trail.
"""

from portal.roles import TENANT_SUPERUSERS_GROUP, Role, role_of

__all__ = ["TENANT_SUPERUSERS_GROUP", "can_read_trail"]


def can_read_trail(request):
    user = request.user
    if not (user.is_active and user.is_staff):
        return False
    if request.tenant is None:
        return user.is_superuser
    return user.tenant_id == request.tenant.pk and role_of(user) == Role.TENANT_SUPERUSER
