"""Which writes of meters' rows stale the consumer's cached fragments (billing.fragments,
portal.versions): a reading (submitted, held, exported, accepted) shows on its account's
overview, meter page and readings form; a meter's own edits too; a reading window on every page of the tenant."""

from billing.fragments import ACCOUNT, TENANT
from portal.versions import Watch

from .models import Meter, Reading, ReadingWindow

WATCHES = [
    Watch(Reading, ACCOUNT, "meter__account_id"),
    Watch(Meter, ACCOUNT, "account_id"),  # staff's edits in the admin (an import bumps the tenant)
    Watch(ReadingWindow, TENANT, "tenant_id"),
]
