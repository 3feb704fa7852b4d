"""What billing's cached fragments (billing.fragments) are kept under, and which writes make
them stale (portal.versions): an import and staff's edits of the rows every fragment shows
stale the tenant's; every write of a user's links stales the user's."""

from portal.exchange.signals import billing_data_changed
from portal.versions import OnSignal, Watch

from .access import user_links_keys
from .fragments import ACCOUNT, INVOICE, TENANT, USER
from .models import AccountLink, Charge, Contract, Counterparty, Invoice, Supplier

WATCHES = [
    # The user's links: the access check of every account page (billing.access).
    Watch(AccountLink, USER, "user_id"),
    # Suppliers' names show in every fragment; contracts and counterparties (edited by hand,
    # not by an import) in the overview of a legal entity (guide 000) and its synced links.
    Watch(Supplier, TENANT, "tenant_id"),
    Watch(Contract, TENANT, "tenant_id"),
    Watch(Counterparty, TENANT, "tenant_id"),
    # Charges come by import (the signal below); an ORM write of them (the admin, a shell)
    # stales its account's fragments, the receipts' source hashes included.
    Watch(Charge, ACCOUNT, "account_id"),
    # An invoice's stored receipt (rendered, replaced): the download's cached state.
    Watch(Invoice, INVOICE, "pk"),
]

SIGNALS = [
    # An import (COPY into the tables, no ORM write) changes the tenant's data for many accounts.
    OnSignal(billing_data_changed, TENANT, lambda tenant, **kwargs: [tenant.pk]),
]

# A signed-in request reads the user's links (the header's account switch, every account
# page's access check): in the round trip that loads the user.
PER_USER = [user_links_keys]
