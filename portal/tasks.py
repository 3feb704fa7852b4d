"""Celery tasks: thin wrappers that load the tenant, enter its scope and do one thing."""

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage

from .messaging import TENANT_HEADER, SmsError, get_sms_backend
from .models import Tenant
from .scoping import tenant_scope

RETRY = {"autoretry_for": (SmsError, OSError), "retry_backoff": 10, "retry_backoff_max": 600, "max_retries": 8}


@shared_task(**RETRY)
def deliver_email(*, tenant_id, to, subject, body):
    tenant = Tenant.objects.get(pk=tenant_id) if tenant_id else None
    with tenant_scope(tenant):
        from_email = settings.DEFAULT_FROM_EMAIL
        if tenant:
            from_email = f"{tenant.short_name} <{settings.DEFAULT_FROM_EMAIL}>"
        message = EmailMessage(subject=subject, body=body, from_email=from_email, to=[to])
        if tenant:
            message.extra_headers[TENANT_HEADER] = tenant.slug
        message.send()


@shared_task(**RETRY)
def deliver_sms(*, tenant_id, to, text):
    tenant = Tenant.objects.get(pk=tenant_id)
    with tenant_scope(tenant):
        get_sms_backend().send(tenant_slug=tenant.slug, to=to, text=text)
