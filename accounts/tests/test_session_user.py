"""The user of a session comes from the cache (accounts.backends): one query fewer on every
signed-in request, and never a row that a save or delete has changed, nor another tenant's."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.factories import UserFactory
from portal.scoping import tenant_scope

SIGNED_IN_PAGE = "/overview/"


def user_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(SIGNED_IN_PAGE)
    return response, [query["sql"] for query in queries if 'FROM "accounts_user"' in query["sql"]]


@pytest.fixture
def signed_in(tenants, tenant_client):
    alpha, _beta = tenants
    user = UserFactory(tenant=alpha)
    client = tenant_client(alpha)
    client.force_login(user)
    return user, client


@pytest.mark.django_db
def test_the_second_request_reads_no_user_row(signed_in):
    _user, client = signed_in
    response, first = user_queries(client)
    assert response.status_code == 200 and len(first) == 1
    response, second = user_queries(client)
    assert response.status_code == 200 and second == []


def deactivate(user):
    user.is_active = False
    user.save()


def change_password(user):
    user.set_password("Another-pass-2026")
    user.save()


@pytest.mark.django_db
@pytest.mark.parametrize("change", [deactivate, change_password, lambda user: user.delete()],
                         ids=["saved inactive", "new password", "deleted"])
def test_a_changed_user_is_signed_out_at_the_next_request(signed_in, change):
    user, client = signed_in
    assert client.get(SIGNED_IN_PAGE).status_code == 200
    with tenant_scope(user.tenant):
        change(user)
    response = client.get(SIGNED_IN_PAGE)
    assert response.status_code == 302 and "/accounts/login/" in response.url


@pytest.mark.django_db
def test_a_cached_user_is_never_another_tenants(tenants, signed_in, tenant_client):
    _alpha, beta = tenants
    _user, client = signed_in
    assert client.get(SIGNED_IN_PAGE).status_code == 200  # cached for alpha's host
    elsewhere = tenant_client(beta)
    elsewhere.cookies = client.cookies
    response = elsewhere.get(SIGNED_IN_PAGE)
    assert response.status_code == 302 and "/accounts/login/" in response.url
