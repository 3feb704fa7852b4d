"""The erasure of a confirmed deletion request, in the tenant's scope."""

from celery import shared_task

from portal.tasks import TenantTask

from . import services


@shared_task(base=TenantTask)
def carry_out_deletion(*, tenant, deletion_id):
    return services.deletion_request_carry_out(deletion_id=deletion_id)


@shared_task
def resume_deletions():
    """Every 5 minutes (CELERY_BEAT_SCHEDULE), platform-wide: confirmed requests whose erasure
    task was lost are published again (services.deletions_resume)."""
    return services.deletions_resume()
