"""portal.transactions.atomic_unless_safe: GET and HEAD outside a transaction, every other
method inside one, as ATOMIC_REQUESTS would."""

import pytest
from django.db import DEFAULT_DB_ALIAS, connection
from django.http import HttpResponse
from django.test import RequestFactory

from portal.transactions import atomic_unless_safe


@atomic_unless_safe
def seen(request):
    return HttpResponse("atomic" if connection.in_atomic_block else "outside")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("method", "expected"), [
    ("get", b"outside"), ("head", b"outside"), ("post", b"atomic"), ("put", b"atomic"), ("delete", b"atomic"),
])
def test_only_the_safe_methods_run_outside_a_transaction(method, expected):
    assert seen(getattr(RequestFactory(), method)("/")).content == expected


def test_the_handler_leaves_the_transaction_to_the_view():
    """Django's handler does not wrap the view in ATOMIC_REQUESTS' transaction of its own."""
    from billing import views as billing_views
    from cabinet import views as cabinet_views
    from meters import views as meter_views

    for view in (seen, cabinet_views.overview, billing_views.invoices, billing_views.history, meter_views.meter):
        assert DEFAULT_DB_ALIAS in view._non_atomic_requests
