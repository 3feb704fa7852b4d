"""allauth's settings, answered per tenant (ALLAUTH_SETTING_GETTER).

allauth reads every ACCOUNT_* value through this function on each access, so the active
tenant's policy decides how its users log in. With no tenant active (system checks,
migrations, commands, the platform host) the answers are the settings' own, which keep
allauth's import-time URL choices and system checks consistent (docs/accounts.md).
"""

from django.conf import settings

from portal.scoping import active_tenant_scope

def login_methods(policy):
    # portal.models cannot be imported here: settings load this module before the apps.
    kind = policy.LoginKind
    return {kind.EMAIL: {"email"}, kind.PHONE_OR_EMAIL: {"email", "phone"}, kind.CONTRACT: {"username"}}[
        policy.login_kind
    ]


def get_setting(name, default):
    if name == "ACCOUNT_RATE_LIMITS":
        # Read on use, after the apps are loaded (settings load this module before them).
        from accounts.services import ALLAUTH_RATE_LIMITS

        return ALLAUTH_RATE_LIMITS
    tenant = active_tenant_scope(default=None)
    if tenant is not None:
        if name == "ACCOUNT_LOGIN_METHODS":
            return login_methods(tenant.policy)
        if name == "ACCOUNT_UNIQUE_EMAIL":
            # Unique within the tenant (every lookup is scoped); see accounts.User.
            return True
    return getattr(settings, name, default)
