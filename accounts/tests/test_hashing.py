import pytest
from argon2 import PasswordHasher, Type, extract_parameters
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.test import RequestFactory

from accounts.models import User
from portal.scoping import tenant_scope


@pytest.fixture
def real_hashers(settings):
    from portal import settings as portal_settings

    settings.PASSWORD_HASHERS = portal_settings.PASSWORD_HASHERS  # conftest makes tests use MD5


def test_new_passwords_are_argon2id_at_owasp_minimum(real_hashers):
    encoded = make_password("correct horse battery staple")
    parameters = extract_parameters(encoded.removeprefix("argon2"))
    assert parameters.type is Type.ID
    assert (parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (19456, 2, 1)
    assert PasswordHasher().verify(encoded.removeprefix("argon2"), "correct horse battery staple")


def test_an_old_pbkdf2_hash_is_upgraded_at_login(tenants, real_hashers):
    gaz = tenants[0]
    with tenant_scope(gaz):
        user = User.objects.create(tenant=gaz, username="old", email="old@example.com",
                                   password=make_password("abc12", hasher="pbkdf2_sha256"))
        request = RequestFactory().post("/accounts/login/")
        request.tenant = gaz
        assert authenticate(request, username="old", password="abc12") == user
        user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
