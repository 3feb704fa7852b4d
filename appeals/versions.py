"""Every write of an appeal stales its author's unread counter (appeals.services, portal.versions)."""

from portal.versions import Watch, version_key

from .models import Appeal
from .services import UNREAD, unread_cache_key

WATCHES = [Watch(Appeal, UNREAD, "author_id")]


def unread_keys(tenant_id, user_id):
    return [version_key(UNREAD, user_id), unread_cache_key(user_id)]


# The menu's counter, on every signed-in page: read in the round trip that loads the user.
PER_USER = [unread_keys]
