"""When the trail records: during an admin request, and nowhere else.

django-auditlog's receivers run on every save of a registered model (a consumer's own
profile, a payment's webhook, a task). The trail is about what staff do in the admin, so
``AdminAuditMiddleware`` opens a window around admin requests and ``AuditEntryManager``
writes nothing outside one. A ContextVar, reset when the request ends, so a thread that
serves an admin request and then a consumer's never carries the window over.
"""

from contextlib import contextmanager
from contextvars import ContextVar

_admin_request = ContextVar("audit_admin_request", default=False)


@contextmanager
def recording_admin_changes():
    token = _admin_request.set(True)
    try:
        yield
    finally:
        _admin_request.reset(token)


def is_recording():
    return _admin_request.get()
