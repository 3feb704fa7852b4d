"""Which writes of meters' rows stale the consumer's cached fragments (billing.fragments,
portal.versions): a reading (submitted, held, exported, accepted) shows on its account's
overview and meter page; a reading window on every page of the tenant."""

from billing.fragments import ACCOUNT, TENANT
from portal.versions import Watch

from .models import Reading, ReadingWindow

WATCHES = [
    Watch(Reading, ACCOUNT, "meter__account_id"),
    Watch(ReadingWindow, TENANT, "tenant_id"),
]
