"""The receipt PIN (guide 004), kept as a keyed hash.

A PIN has four to six digits: any unkeyed hash of it, salted or not, falls to trying all
million values. An HMAC under a key derived from SECRET_KEY (which the database does not
hold) keeps a stolen database from giving the PINs away, and being deterministic lets an
import of the same file see the PIN unchanged. Changing SECRET_KEY invalidates the stored
PINs until the next import of accounts.csv.
"""

import hmac

from django.conf import settings
from django.utils.crypto import salted_hmac

_SALT = "billing.pins"


def pin_hash(tenant_id, supplier_code, account_number, pin):
    message = f"{tenant_id}\x1f{supplier_code}\x1f{account_number}\x1f{pin}"
    return salted_hmac(_SALT, message, secret=settings.SECRET_KEY, algorithm="sha256").hexdigest()


def pin_matches(account, pin):
    if not account.pin_hash:
        return False
    expected = pin_hash(account.tenant_id, account.supplier.code, account.number, pin.strip())
    return hmac.compare_digest(expected, account.pin_hash)


__all__ = ["pin_hash", "pin_matches"]
