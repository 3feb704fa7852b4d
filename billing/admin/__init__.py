"""Billing in the admin: the tenant's billing data (accounts.py) and the exchange with the
billing system, uploads and runs (exchange.py). The apps above billing build their account
admin on AccountAdmin."""

from billing.admin import exchange  # noqa: F401  (registers the exchange's admins)
from billing.admin.accounts import AccountAdmin, BillingOwnedAdmin, account_ids, changelist_link

__all__ = ["AccountAdmin", "BillingOwnedAdmin", "account_ids", "changelist_link"]
