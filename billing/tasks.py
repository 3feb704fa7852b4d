from celery import shared_task

from portal.tasks import TenantTask

from . import services
from .receipts import services as receipts


@shared_task(base=TenantTask, acks_late=True)
def run_import(*, tenant, run_id):
    services.import_run_uploaded(tenant, run_id)


@shared_task(base=TenantTask, acks_late=True)
def render_receipt(*, tenant, invoice_id):
    """Render the PDF receipt of one invoice unless the stored one is current (idempotent:
    a duplicate or redelivered task waits on the invoice's row lock, then renders nothing)."""
    receipts.render_receipt(invoice_id)


@shared_task
def resume_import_runs():
    """Every 5 minutes (CELERY_BEAT_SCHEDULE), platform-wide: runs whose task was lost are
    published again (services.import_runs_resume)."""
    return services.import_runs_resume()
