"""What other apps may listen to without the exchange knowing them."""

from django.dispatch import Signal

# Sent after an import has committed changes (never for a dry run), with ``tenant`` and
# ``kinds``: the set of file kinds (EXCHANGE.md: "accounts", "charges", "readings"...) that
# wrote rows. Listeners: cached pages of billing data, notices of new invoices, the links
# a registry import ends.
billing_data_changed = Signal()
