"""The trail, for the privacy app (privacy/registry.py explains the contract).

Nothing is exported: the entries are the tenant's record of what its staff did. Erasure
keeps that record (who changed which fields of what, when) and blanks the person's data in
it: the object's name and the values before and after (audit.services)."""

from .services import entries_erase_subject


def erase_user_data(user):
    entries_erase_subject(user=user)
