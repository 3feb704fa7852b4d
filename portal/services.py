"""Platform services: tenants and outgoing messages.

Callers say what to send to whom; delivery runs as a Celery task queued after the current
transaction commits (so a rolled-back registration never sends its code).
"""

from django.db import transaction

from . import tasks
from .models import Tenant, TenantDomain, TenantPolicy


def message_send_email(*, tenant, to, subject, body):
    """Queue an e-mail from ``tenant`` to the address ``to``."""
    tenant_id = tenant.pk if tenant else None
    transaction.on_commit(lambda: tasks.deliver_email.delay(tenant_id=tenant_id, to=to, subject=subject, body=body))


def message_send_sms(*, tenant, to, text):
    """Queue an SMS from ``tenant`` to the phone number ``to`` (+7XXXXXXXXXX)."""
    transaction.on_commit(lambda: tasks.deliver_sms.delay(tenant_id=tenant.pk, to=to, text=text))


def tenant_ensure_policy(*, tenant):
    """The tenant's policy, created with the platform defaults if it has none yet."""
    policy, _created = TenantPolicy.objects.get_or_create(tenant=tenant)
    return policy


@transaction.atomic
def tenant_create(*, slug, name, short_name, kind, domains=(), **branding):
    """Create a tenant with the default policy; validation errors raise ValidationError."""
    tenant = Tenant(slug=slug, name=name, short_name=short_name, kind=kind, **branding)
    tenant.full_clean()
    tenant.save()
    for domain in domains:
        tenant_domain = TenantDomain(tenant=tenant, domain=domain.strip().lower())
        tenant_domain.full_clean()
        tenant_domain.save()
    tenant_ensure_policy(tenant=tenant)
    return tenant


# OWASP ASVS: at least 12 characters, and no cap below 64. Below this a superuser is
# warned, not stopped: the demo tenants keep the rules their guides publish.
RECOMMENDED_MIN_PASSWORD_LENGTH = 12
RECOMMENDED_MAX_PASSWORD_LENGTH_AT_LEAST = 64


def policy_warnings(policy):
    """Russian warnings about a policy that is allowed but weaker than recommended."""
    warnings = []
    if policy.password_min_length < RECOMMENDED_MIN_PASSWORD_LENGTH:
        warnings.append(
            f"Минимальная длина пароля {policy.password_min_length} — меньше рекомендуемых "
            f"{RECOMMENDED_MIN_PASSWORD_LENGTH} символов."
        )
    if policy.password_max_length < RECOMMENDED_MAX_PASSWORD_LENGTH_AT_LEAST:
        warnings.append(
            f"Максимальная длина пароля {policy.password_max_length} — длинные пароли и фразы не поместятся; "
            f"рекомендуется разрешать не меньше {RECOMMENDED_MAX_PASSWORD_LENGTH_AT_LEAST} символов."
        )
    return warnings
