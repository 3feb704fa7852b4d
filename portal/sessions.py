"""Sessions in the database with a copy in the cache (SESSION_ENGINE cached_db: they survive
a Redis restart), read in the round trip that resolves the host (portal.hosts,
portal.versions) instead of one of their own: a signed-in page makes one round trip fewer.
Django's SessionMiddleware with this module's SessionStore, the same rows and cache keys.
"""

from django.conf import settings
from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware

from . import versions

ENGINE = "django.contrib.sessions.backends.cached_db"


def session_cache_keys(request):
    """The cache key of the request's session (as cached_db names it), for TenantMiddleware
    to read with the host; none without a session cookie, or where sessions are kept
    elsewhere than cached_db in the default cache."""
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not session_key or settings.SESSION_ENGINE != ENGINE or settings.SESSION_CACHE_ALIAS != "default":
        return []
    return [cached_db.KEY_PREFIX + session_key]


class SessionStore(cached_db.SessionStore):
    def load(self):
        if self._validate_session_key(self.session_key):
            read, data = versions.prefetched(self.cache_key)
            if read and data is not None:
                return data
        return super().load()


class SessionMiddleware(DjangoSessionMiddleware):
    def __init__(self, get_response):
        super().__init__(get_response)
        if settings.SESSION_ENGINE == ENGINE:
            self.SessionStore = SessionStore
