"""The readings a user submitted, for the privacy app (privacy/registry.py explains the
contract). Billing's own readings of the same meters are the account's history, not the
person's: they are not exported."""

from .models import Reading


def export_user_data(user):
    readings = (Reading.objects.filter(submitted_by=user).select_related("meter__account__supplier")
                .order_by("submitted_at", "pk"))
    return {"readings": [{
        "account_number": reading.meter.account.number,
        "supplier": reading.meter.account.supplier.name,
        "meter_serial": reading.meter.serial,
        "service": reading.meter.get_service_display(),
        "zone": reading.zone,
        "value": reading.value,
        "taken_on": reading.taken_on,
        "period": reading.period,
        "submitted_at": reading.submitted_at,
        "status": reading.get_status_display(),
        "status_reason": reading.status_reason,
    } for reading in readings]}


def erase_user_data(user):
    """A reading stays (it is the meter's, and billing may have it already); who submitted
    it does not."""
    Reading.objects.filter(submitted_by=user).update(submitted_by=None)
