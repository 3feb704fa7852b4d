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


def _counting_round_trips(monkeypatch):
    asked = []
    get_many = versions.cache.get_many
    monkeypatch.setattr(versions.cache, "get_many", lambda keys: asked.append(list(keys)) or get_many(keys))
    return asked


def test_a_request_seen_before_reads_ahead_what_it_read_after_its_first_round_trip(db, monkeypatch):
    versions.cached("page", scopes=[("test.user", 1)], build=lambda: "body")
    asked = _counting_round_trips(monkeypatch)

    def request(hint):
        with versions.request_scope(hint=hint):
            versions.prefetch(["host"])  # the first round trip (TenantMiddleware)
            return versions.cached("page", scopes=[("test.user", 1)], build=lambda: "rebuilt")

    assert request(hint=1) == "body" and len(asked) == 2
    asked.clear()
    assert request(hint=1) == "body" and len(asked) == 1  # the page's keys came with the host
    assert "page" in asked[0]
    asked.clear()
    assert request(hint=2) == "body" and len(asked) == 2  # another session or address: its own


def test_a_stale_or_shared_hint_reads_ahead_but_never_serves_another_key(db, monkeypatch):
    versions.cached("mine", scopes=[("test.user", 1)], build=lambda: "mine")
    versions.cached("theirs", scopes=[("test.user", 2)], build=lambda: "theirs")
    with versions.request_scope(hint=7):  # someone's request that read "theirs"
        versions.prefetch(["host"])
        versions.cached("theirs", scopes=[("test.user", 2)], build=lambda: "rebuilt")
    asked = _counting_round_trips(monkeypatch)
    with versions.request_scope(hint=7):  # the same hint, another reader
        versions.prefetch(["host"])
        assert "theirs" in asked[0]  # read ahead, unused
        assert versions.cached("mine", scopes=[("test.user", 1)], build=lambda: "rebuilt") == "mine"
    # Its own keys replace the hint: the next such request reads "mine" ahead, not "theirs".
    asked.clear()
    with versions.request_scope(hint=7):
        versions.prefetch(["host"])
    assert "mine" in asked[0] and "theirs" not in asked[0]


def test_read_ahead_keeps_a_bounded_number_of_hints(db, monkeypatch):
    monkeypatch.setattr(versions, "HINTS_KEPT", 3)
    monkeypatch.setattr(versions, "_hints", versions.OrderedDict())
    for hint in range(5):
        with versions.request_scope(hint=hint):
            versions.prefetch(["host"])
            versions.prefetch([f"page-{hint}"])
    assert list(versions._hints) == [2, 3, 4]


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
