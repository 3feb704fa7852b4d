"""The versioned-cache primitive (portal.versions): an entry is current while the versions it
was built under are; every write path of a watched model bumps them, QuerySet.update() and
bulk_create() included, and another process sees the change on its next read (issue 25.6)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from portal import versions
from portal.hosts import resolve_host
from portal.models import TenantPolicy
from portal.services import tenant_create

ROOT = Path(__file__).resolve().parents[2]


def test_an_entry_is_rebuilt_only_when_one_of_its_versions_is_bumped(db):
    built = []

    def build(value):
        return lambda: built.append(value) or value

    scopes = [("test.tenant", 1), ("test.account", 5)]
    assert versions.cached("k", scopes=scopes, build=build("one")) == "one"
    assert versions.cached("k", scopes=scopes, build=build("two")) == "one"
    versions.bump("test.account", [6])
    assert versions.cached("k", scopes=scopes, build=build("three")) == "one"
    versions.bump("test.account", [5])
    assert versions.cached("k", scopes=scopes, build=build("four")) == "four"
    versions.bump("test.tenant", [1])
    assert versions.cached("k", scopes=scopes, build=build("five")) == "five"
    assert built == ["one", "four", "five"]


def test_a_lost_version_does_not_revive_older_entries(db):
    versions.cached("k", scopes=[("test.user", 1)], build=lambda: "old")
    cache.delete(versions.version_key("test.user", 1))
    assert versions.cached("k", scopes=[("test.user", 1)], build=lambda: "new") == "new"


def test_every_app_declares_its_watches_in_its_versions_module():
    declared = {module.__name__ for module in versions.app_versions_modules() if getattr(module, "WATCHES", None)}
    assert {"accounts.versions", "appeals.versions", "billing.versions", "meters.versions",
            "payments.versions"} <= declared


@pytest.fixture
def alpha(db):
    return tenant_create(slug="alpha", name="ООО «alpha»", short_name="alpha", kind="gas")


def test_update_and_bulk_create_bump_what_they_change(alpha):
    before = versions.version("portal.hosts")
    TenantPolicy.objects.filter(tenant=alpha).update(code_length=7)
    after_update = versions.version("portal.hosts")
    assert after_update != before
    TenantPolicy.objects.filter(tenant=alpha, code_length=99).update(code_length=8)  # no row: no bump
    assert versions.version("portal.hosts") == after_update


SECOND_PROCESS = """
import sys
import django
django.setup()
from portal.hosts import resolve_host
for host in sys.stdin:
    print(resolve_host(host.strip()).tenant.policy.code_length, flush=True)
"""


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not settings.REDIS_URL, reason="the processes share the cache through Redis")
def test_a_policy_changed_with_update_is_seen_by_a_second_process_at_once():
    tenant = tenant_create(slug="alpha", name="ООО «alpha»", short_name="alpha", kind="gas")
    database = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "REDIS_URL": settings.REDIS_URL,
           "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"}
    process = subprocess.Popen([sys.executable, "-c", SECOND_PROCESS], cwd=ROOT, env=env, text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        def ask():
            process.stdin.write("alpha.localhost\n")
            process.stdin.flush()
            return int(process.stdout.readline())

        assert ask() == 6 and ask() == 6  # now kept in the cache by the second process
        assert resolve_host("alpha.localhost").tenant.policy.code_length == 6
        TenantPolicy.objects.filter(tenant=tenant).update(code_length=8)  # a command's write, no signal
        assert ask() == 8
        assert resolve_host("alpha.localhost").tenant.policy.code_length == 8
    finally:
        process.stdin.close()
        process.wait(timeout=30)
