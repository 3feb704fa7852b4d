"""Every write of an appeal stales its author's unread counter (appeals.services.unread_count,
portal.versions)."""

from portal.versions import Watch, version_key

from .models import Appeal

# The menu's counter of unread answers is cached under the author's version of this scope
# (portal.versions), which every write of one of their appeals bumps (WATCHES below).
# It pays (bench/caches.py at gaz, 100,000 accounts, 2026-12-06, one round at load 7.9–9.4, so
# rough): with it off, the signed-in pages' share of the bare view fell 1.8× (median).
UNREAD = "appeals.unread"
UNREAD_TIMEOUT = 3600  # seconds; a backstop for raw SQL


def unread_cache_key(user_id):
    return f"appeals:unread:{user_id}"


WATCHES = [Watch(Appeal, UNREAD, "author_id")]


def unread_keys(tenant_id, user_id):
    return [version_key(UNREAD, user_id), unread_cache_key(user_id)]


# The menu's counter, on every signed-in page: read in the round trip that loads the user.
PER_USER = [unread_keys]
