"""Provider secrets encrypted at rest (Fernet from `cryptography`: AES with an HMAC, the
standard recipe, rather than a cipher mode of our own).

The keys come from the environment, ``PAYMENT_SECRETS_KEYS`` (comma-separated Fernet keys;
the first encrypts, all decrypt, so a key can be rotated). A development server without it
derives one from SECRET_KEY; a production server without it refuses to store a secret
(and ``manage.py check --deploy`` says so)."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretUnreadable(Exception):
    """The stored secret was encrypted under a key no longer configured."""


def _fernet():
    keys = [key.strip() for key in settings.PAYMENT_SECRETS_KEYS if key.strip()]
    if not keys:
        if not settings.DEBUG:
            raise ImproperlyConfigured("PAYMENT_SECRETS_KEYS is not set: provider secrets cannot be stored.")
        digest = hashlib.sha256(b"portal payment secrets\0" + settings.SECRET_KEY.encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(value):
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token):
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise SecretUnreadable("the secret was encrypted under another key") from error


def masked(value):
    """What the admin shows of a secret: its last four characters."""
    return f"••••{value[-4:]}" if len(value) > 8 else "••••"
