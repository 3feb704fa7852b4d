"""The outbox's texts encrypted at rest: a message may carry a one-time code or a link that
signs in, and waits in the database until a worker sends it.

Fernet (`cryptography`, already pinned for payments' secrets: AES-128-CBC with an HMAC-SHA256,
a timestamp in each token) with a key derived from SECRET_KEY by HKDF-SHA256 (its own ``info``,
so the key is used for nothing else). Every server already holds SECRET_KEY, and rotating it
the Django way (the new one first, the old in SECRET_KEY_FALLBACKS) keeps queued texts
readable: each key decrypts, the first encrypts. Django's own signing only signs (the text
would stay readable in the table and its backups); payments' PAYMENT_SECRETS_KEYS are optional
outside production and belong to a floor above.
"""

import base64
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

__all__ = ["InvalidToken", "seal", "unseal"]

_INFO = b"portal.outgoing-message.v1"


def _fernet_key(secret):
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret.encode())
    return base64.urlsafe_b64encode(derived)


def _fernet():
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([Fernet(_fernet_key(secret)) for secret in secrets])


def seal(content):
    """``content`` (a dict of JSON values) as a token to store."""
    return _fernet().encrypt(json.dumps(content, ensure_ascii=False).encode()).decode()


def unseal(token):
    """The dict sealed in ``token``; InvalidToken where no key of the settings opens it."""
    return json.loads(_fernet().decrypt(token.encode()))
