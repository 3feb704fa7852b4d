"""The portal's settings with Django 5.2's default password hashers, for the login
benchmark's baseline run (PBKDF2 first, so PBKDF2 hashes are not upgraded on login)."""

from django.conf import global_settings

from portal.settings import *  # noqa: F401,F403

PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
