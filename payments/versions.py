"""A payment's every write stales its account's cached fragments (billing.fragments,
portal.versions): the overview shows «оплачено …, ожидает учёта»."""

from billing.fragments import ACCOUNT
from portal.versions import Watch

from .models import Payment

WATCHES = [Watch(Payment, ACCOUNT, "account_id")]
