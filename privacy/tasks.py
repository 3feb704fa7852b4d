"""The erasure of a confirmed deletion request, in the tenant's scope."""

from celery import shared_task

from portal.tasks import TenantTask

from . import services


@shared_task(base=TenantTask)
def carry_out_deletion(*, tenant, deletion_id):
    return services.deletion_request_carry_out(deletion_id=deletion_id)
