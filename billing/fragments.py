"""Rendered parts of the consumer's pages, kept in the cache (Redis in production) until the
data behind them changes.

Billing's data changes rarely: an import (the whole tenant, thousands of accounts at once),
a reading submitted, a portal payment succeeding or refunded, an export marking readings
sent. A page of history, invoices or a meter's chart is rendered once and then served from
the cache until one of those happens. Each entry is stored with two *versions*
(portal.versions): the tenant's, which an import, an export and staff's edits of suppliers
or reading windows replace, and the account's, which a submission or a payment replaces.
An entry whose versions are not both current is never used. Which writes bump which
version is declared in billing/versions.py, meters/versions.py and payments/versions.py.
One round trip reads both versions and the entry.

What is cached is only what the key covers: the account's data, shown as one access level
allows, on one day (``today`` is part of every key that depends on it). Never a CSRF
token, never anything about the user but what is kept under the user's id and version: the
contracts of guide 000's legal entity, the user's links, and the overview's body (their
links and the accounts' amounts). Every page checks the
user's link to the account (billing.access) on every request, before it asks for a
fragment; the links themselves are kept under a third version, the user's, which every
write of one of their links replaces, and under the tenant's, since an import may close or
change their accounts.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import get_language

from portal import versions

# The scopes (portal.versions) fragments are kept under; billing/versions.py and the
# versions.py of meters and payments declare which writes bump them.
# They pay (bench/caches.py at gaz, 100,000 accounts, 2026-12-06, one round at load 7.9–9.4, so
# rough): with fragments off, the pages' share of the bare view fell 3.1× (median of five;
# readings 6.1×, the overview 3.7×, invoices 3.1×).
TENANT, ACCOUNT, USER = "billing.tenant", "billing.account", "billing.user"
INVOICE = "billing.invoice"  # an invoice's receipt (billing.receipts.views)

# Entries also expire, as a backstop for raw SQL (which no declaration sees: call
# versions.bump after one) and so that the cache does not keep every account a tenant ever showed.
TIMEOUT = 3600  # seconds


@dataclass(frozen=True)
class Fragment:
    """One fragment asked for: see ``cached``."""

    name: str
    tenant_id: int
    account_id: int | None
    parts: tuple
    build: Callable[[], object]
    user_id: int | None = None
    timeout: int | None = None

    def scopes(self):
        scopes = [(TENANT, self.tenant_id)] + ([] if self.account_id is None else [(ACCOUNT, self.account_id)])
        return tuple(scopes if self.user_id is None else [*scopes, (USER, self.user_id)])

    def entry_key(self):
        # The language too: the pages are Russian only today, but a fragment holds translated text.
        return ":".join(["billing:fragment", self.name, get_language() or "", str(self.tenant_id),
                         str(self.account_id), str(self.user_id), *map(str, self.parts)])

    def entry(self):
        return versions.Entry(self.entry_key(), self.scopes(), self.build, self.timeout or TIMEOUT)


def keys_of(name, *, tenant_id, account_id, parts, user_id=None):
    """The cache keys a fragment is read from (its versions' and its own), to read ahead."""
    entry = Fragment(name, tenant_id, account_id, tuple(parts), None, user_id).entry()
    return [*entry.version_keys(), entry.key]


def cached(name, *, tenant_id, account_id, parts, build, user_id=None, timeout=None):
    """The fragment ``name`` of account ``account_id`` for ``parts`` (what else it depends on:
    filters, access level, the day), from the cache or from ``build()`` (which must return
    something picklable: a string of HTML, a dict of them). ``account_id`` None: a fragment
    of data only an import changes (``parts`` name the accounts), under the tenant's version
    alone. ``user_id``: a fragment about the user's links too (billing.access), under the
    user's version as well, which every change of their links replaces."""
    return cached_together(Fragment(name, tenant_id, account_id, tuple(parts), build, user_id, timeout))[0]


def cached_together(*fragments):
    """Several fragments (``Fragment``) in one round trip to the cache: their values, in order."""
    return versions.cached_many(*(fragment.entry() for fragment in fragments))


def tenant_version(tenant_id):
    """The tenant's current version: what a caller keeps to know later whether the tenant's
    billing data changed since (an import, an export, staff's edits)."""
    return versions.version(TENANT, tenant_id)


def forget_tenant(tenant_id):
    """Every fragment of the tenant is stale (for raw SQL; ORM writes are declared)."""
    versions.bump(TENANT, [tenant_id])


def forget_account(account_id):
    """Every fragment of one account is stale (for raw SQL; ORM writes are declared)."""
    versions.bump(ACCOUNT, [account_id])


def forget_user(user_id):
    """What is cached of the user's links is stale (for raw SQL; ORM writes are declared)."""
    versions.bump(USER, [user_id])
