"""Billing in the admin: the tenant's billing data (accounts.py) and the exchange with the
billing system, uploads and runs (exchange.py). meters.admin builds on AccountAdmin."""

from . import exchange  # noqa: F401  (registers the exchange's admins)
from .accounts import AccountAdmin, BillingOwnedAdmin, account_ids, changelist_link

__all__ = ["AccountAdmin", "BillingOwnedAdmin", "account_ids", "changelist_link"]
