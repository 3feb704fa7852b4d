"""Requests and transactions.

The project runs every view in a transaction (``ATOMIC_REQUESTS``). For a page that only
reads, that is two database round trips (BEGIN, COMMIT) and the atomic block's bookkeeping
on every view of it, for nothing: under READ COMMITTED each statement sees its own snapshot
inside a transaction as outside one.
"""

from functools import wraps

from django.db import transaction

SAFE_METHODS = ("GET", "HEAD")


def atomic_unless_safe(view):
    """``view`` in a transaction for every method but GET and HEAD, which run outside one.

    Only for views whose GET writes nothing that an error later in the request must take
    back: a write on GET there is a single statement, or an atomic block of its own. Put it
    above the view's other decorators (it marks the outermost function for Django's handler).
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method in SAFE_METHODS:
            return view(request, *args, **kwargs)
        with transaction.atomic():
            return view(request, *args, **kwargs)

    return transaction.non_atomic_requests(wrapped)
