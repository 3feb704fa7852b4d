"""Who may change whom in the admin: one ladder of roles.

    customer < staff < tenant superuser < platform superuser

A user changes only users below them on the ladder, of their own tenant; a platform
superuser changes anyone. So staff change customers, never each other or their director;
a tenant superuser (a staff member in the group «Суперпользователи организации») changes
staff and customers; only a platform superuser changes a tenant superuser. Nobody below a
platform superuser changes their own record in the admin (their password: the admin's own
«Изменить пароль» page). Granting a role is the platform superuser's too (accounts.admin's
privilege fields).

``may_change`` says it of one user and ``changeable_by`` of a queryset, for the admin's
lists and actions; both read ``role_of``. docs/security.md («Staff roles») has the table.
"""

from enum import IntEnum

# Made by audit's migration 0002; audit.access reads the trail by it.
TENANT_SUPERUSERS_GROUP = "Суперпользователи организации"


class Role(IntEnum):
    CUSTOMER = 0
    STAFF = 1
    TENANT_SUPERUSER = 2
    PLATFORM_SUPERUSER = 3


def role_of(user):
    """A user's rung. Membership of the tenant superusers' group counts even without
    ``is_staff``: whoever carries a role is protected as its holder."""
    if user.is_superuser:
        return Role.PLATFORM_SUPERUSER
    if user.pk is not None and user.groups.filter(name=TENANT_SUPERUSERS_GROUP).exists():
        return Role.TENANT_SUPERUSER
    if user.is_staff:
        return Role.STAFF
    return Role.CUSTOMER


def acts_as(user, role):
    """Whether an active ``user`` holds ``role`` or one above it."""
    return bool(user.is_authenticated and user.is_active) and role_of(user) >= role


def may_change(actor, target):
    """Whether ``actor`` may change ``target``: its login, contacts, password, whether it
    is active, or delete it."""
    if not (actor.is_authenticated and actor.is_active):
        return False
    role = role_of(actor)
    if role == Role.PLATFORM_SUPERUSER:
        return True
    return target.tenant_id == actor.tenant_id and role_of(target) < role


def changeable_by(actor, users):
    """``users`` (a queryset) narrowed to those ``actor`` may change: ``may_change`` in SQL."""
    if not (actor.is_authenticated and actor.is_active):
        return users.none()
    role = role_of(actor)
    if role == Role.PLATFORM_SUPERUSER:
        return users
    if role == Role.CUSTOMER:
        return users.none()
    below = users.filter(tenant_id=actor.tenant_id, is_superuser=False).exclude(groups__name=TENANT_SUPERUSERS_GROUP)
    return below.filter(is_staff=False) if role == Role.STAFF else below
