"""Rendered parts of the consumer's pages, kept in the cache (Redis in production) until the
data behind them changes.

Billing's data changes rarely: an import (the whole tenant, thousands of accounts at once),
a reading submitted, a portal payment succeeding or refunded, an export marking readings
sent. A page of history, invoices or a meter's chart is rendered once and then served from
the cache until one of those happens. Each entry is stored with two *versions*: the
tenant's, which an import, an export and staff's edits of suppliers or reading windows
replace, and the account's, which a submission or a payment replaces. An entry whose
versions are not both current is never used. The versions are random tokens, not counters,
so that a version key lost from the cache cannot come back with the value older entries
carry (the scheme of portal.hosts). One round trip reads both versions and the entry.

What is cached is only what the key covers: the account's data, shown as one access level
allows, on one day (``today`` is part of every key that depends on it). Never a CSRF
token, never anything about the user but the contracts of guide 000's legal entity (under
the user's id: the overview's ``contracts``) and the user's links. Every page checks the
user's link to the account (billing.access) on every request, before it asks for a
fragment; the links themselves are kept under a third version, the user's, which every
save or delete of one of their links replaces (signals, now and after commit), and under
the tenant's, since an import may close or change their accounts.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.utils.translation import get_language

# Entries also expire, as a backstop for a change that bypasses the services (a QuerySet
# .update() or raw SQL in a shell: call forget_tenant/forget_account after one) and so that
# the cache does not keep every account a tenant ever showed.
TIMEOUT = 3600  # seconds


def _tenant_key(tenant_id):
    return f"billing:fragments:tenant:{tenant_id}"


def _account_key(account_id):
    return f"billing:fragments:account:{account_id}"


def _user_key(user_id):
    return f"billing:fragments:user:{user_id}"


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

    def version_keys(self):
        keys = [_tenant_key(self.tenant_id)] + ([] if self.account_id is None else [_account_key(self.account_id)])
        return keys if self.user_id is None else [*keys, _user_key(self.user_id)]

    def entry_key(self):
        # The language too: the pages are Russian only today, but a fragment holds translated text.
        return ":".join(["billing:fragment", self.name, get_language() or "", str(self.tenant_id),
                         str(self.account_id), str(self.user_id), *map(str, self.parts)])


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
    version_keys = [fragment.version_keys() for fragment in fragments]
    entry_keys = [fragment.entry_key() for fragment in fragments]
    found = cache.get_many(list(dict.fromkeys([key for keys in version_keys for key in keys] + entry_keys)))
    values = []
    for fragment, keys, entry_key in zip(fragments, version_keys, entry_keys):
        versions = tuple(found.get(key) or _start(key) for key in keys)
        entry = found.get(entry_key)
        if entry is not None and entry[0] == versions:
            values.append(entry[1])
            continue
        value = fragment.build()
        cache.set(entry_key, (versions, value), timeout=fragment.timeout or TIMEOUT)
        values.append(value)
    return values


def tenant_version(tenant_id):
    """The tenant's current version: what a caller keeps to know later whether the tenant's
    billing data changed since (an import, an export, staff's edits)."""
    key = _tenant_key(tenant_id)
    return cache.get(key) or _start(key)


def _start(key):
    cache.add(key, uuid.uuid4().hex, timeout=None)
    return cache.get(key)


def forget_tenant(tenant_id):
    """Every fragment of the tenant is stale: its data changed for many accounts.

    Now, for the rest of this transaction, and again after commit: a request that read the
    old rows before the commit may have cached them under the version started now."""
    _replace(_tenant_key(tenant_id))


def forget_account(account_id):
    """Every fragment of one account is stale (a reading submitted, a payment)."""
    _replace(_account_key(account_id))


def forget_user(user_id):
    """The user's links changed (linked, unlinked, access granted): what is cached of them
    is stale."""
    _replace(_user_key(user_id))


def _replace(key):
    cache.set(key, uuid.uuid4().hex, timeout=None)
    transaction.on_commit(lambda: cache.set(key, uuid.uuid4().hex, timeout=None))


def _on_billing_data_changed(sender, tenant, **kwargs):
    forget_tenant(tenant.pk)


def _on_tenant_row_change(sender, instance, **kwargs):
    forget_tenant(instance.tenant_id)


def _on_link_change(sender, instance, **kwargs):
    forget_user(instance.user_id)


def watch_changes():
    """Connect the tenant-wide changes (BillingConfig.ready): an import, and the supplier rows
    staff edit in the admin, whose names every fragment shows, and contracts and
    counterparties (edited by hand, not by an import); and every change of a user's links."""
    from django.db.models.signals import post_delete, post_save

    from portal.exchange.signals import billing_data_changed

    from .models import AccountLink, Contract, Counterparty, Supplier

    billing_data_changed.connect(_on_billing_data_changed, dispatch_uid="billing.fragments.import")
    # The user's links (billing.access), the access check of every account page. Deletes of
    # a queryset send these too (they have receivers); bulk_create does not: its callers
    # call forget_user.
    post_save.connect(_on_link_change, sender=AccountLink, dispatch_uid="billing.fragments:links:save")
    post_delete.connect(_on_link_change, sender=AccountLink, dispatch_uid="billing.fragments:links:delete")
    forget_on_changes_of(Supplier)
    # The overview's contracts of a legal entity (guide 000), and the links synced from them.
    forget_on_changes_of(Contract)
    forget_on_changes_of(Counterparty)


def forget_on_changes_of(model):
    """Make saves and deletes of ``model`` (a row with a ``tenant_id`` that fragments show,
    e.g. meters' reading windows) stale every fragment of its tenant."""
    from django.db.models.signals import post_delete, post_save

    post_save.connect(_on_tenant_row_change, sender=model, dispatch_uid=f"billing.fragments:{model.__name__}:save")
    post_delete.connect(_on_tenant_row_change, sender=model,
                        dispatch_uid=f"billing.fragments:{model.__name__}:delete")
