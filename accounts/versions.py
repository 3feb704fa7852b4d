"""Which writes stale what accounts keeps in the cache (portal.versions): a session's user row
(accounts.backends) and the consent gate's note in the session (accounts.services)."""

from portal.models import ConsentDocument
from portal.versions import Watch

from .backends import USER
from .models import User
from .services import CONSENTS

WATCHES = [
    Watch(User, USER, "pk"),
    Watch(ConsentDocument, CONSENTS, "tenant_id"),
]
