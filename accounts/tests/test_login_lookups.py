"""Every lookup of a user by a login (e-mail, phone, username) is an index scan on PostgreSQL,
so its cost does not grow with the tenant; e-mails are stored in one form for that.

The lookups run for real (ours and allauth's), their exact SQL is captured and EXPLAINed.
With a few hundred rows the planner would rather scan the table, so sequential scans are
switched off for the test's transaction: what is checked is that an index *serves* each
query, and which one (not the tenant's foreign-key index, which at 1,000,000 users in one
tenant is no better than a scan).
"""

import re
from types import SimpleNamespace

import pytest
from allauth.account.adapter import get_adapter
from allauth.account.internal.userkit import filter_users_by_email, get_user_by_username
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import recovery, registration
from accounts.admin import CustomerRegistrationForm
from accounts.models import User
from portal.models import TenantPolicy
from portal.scoping import scopes_disabled, tenant_scope
from portal.services import tenant_create

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans of PostgreSQL")

LOGIN_INDEXES = {
    "accounts_user": {"email_unique_per_tenant", "phone_unique_per_tenant", "username_unique_per_tenant",
                      "user_username_iexact", "platform_username_unique", "accounts_user_pkey"},
    # allauth's table (always empty here): its index on the e-mail, the user's key for the join.
    "account_emailaddress": {"account_emailaddress_email_03be32b2", "account_emailaddress_email_03be32b2_like",
                             "account_emailaddress_user_id_email_987c8728_uniq"},
}


@pytest.fixture
def tenants(db):
    made = {}
    for kind in TenantPolicy.LoginKind:
        tenant = tenant_create(slug=kind.value.replace("_", "-"), name=kind.label, short_name=kind.value, kind="gas")
        TenantPolicy.objects.filter(pk=tenant.pk).update(login_kind=kind)
        tenant.policy.refresh_from_db()
        made[kind] = tenant
    users = [
        User(tenant=tenant, username=f"login-{n}-{tenant.slug}", email=f"user{n}@{tenant.slug}.example",
             phone=f"+7900{n:07d}")
        for tenant in made.values() for n in range(300)
    ]
    with scopes_disabled():
        User.objects.bulk_create(users)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_user")
    return made


def lookups(tenants):
    Kind = TenantPolicy.LoginKind
    email, contract, phone_or_email = tenants[Kind.EMAIL], tenants[Kind.CONTRACT], tenants[Kind.PHONE_OR_EMAIL]
    return {
        "allauth: login by e-mail": (email, lambda: filter_users_by_email(
            "User7@Email.example", prefer_verified=True, for_login=True)),
        "allauth: login by username": (contract, lambda: get_user_by_username("LOGIN-7-contract")),
        "allauth: login by phone": (phone_or_email, lambda: get_adapter().get_user_by_phone("8 900 000-00-07")),
        "Django: login by username": (email, lambda: User.objects.filter(username="login-7-email").first()),
        "recovery by e-mail": (email, lambda: recovery.user_by_login(tenant=email, login="User7@Email.example")),
        "recovery by phone": (phone_or_email, lambda: recovery.user_by_login(
            tenant=phone_or_email, login="+7 900 000 00 07")),
        "recovery by generated login": (contract, lambda: recovery.user_by_login(
            tenant=contract, login="login-7-contract")),
        "signup: is the contact taken": (email, lambda: registration._contact_holders(
            SimpleNamespace(email="User7@Email.example", phone="+79000000007"))),
        "staff registration: is the contact taken": (email, lambda: CustomerRegistrationForm(data={
            "last_name": "И", "first_name": "И", "email": "User7@Email.example", "phone": "+79000000007",
        }).is_valid()),
    }


LOOKUP_NAMES = list(lookups({kind: None for kind in TenantPolicy.LoginKind}))


@pytest.mark.parametrize("name", LOOKUP_NAMES)
def test_each_lookup_by_a_login_uses_its_index(tenants, name):
    tenant, lookup = lookups(tenants)[name]
    with tenant_scope(tenant), CaptureQueriesContext(connection) as captured:
        lookup()
    queries = [query["sql"] for query in captured if re.search(r'FROM "account(s_user|_emailaddress)"', query["sql"])]
    assert queries, "the lookup ran no query on the users"
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql in queries:
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Seq Scan" not in plan, plan
            used = index_scans(plan)
            assert used, plan
            for index, table, condition in used:
                assert index in LOGIN_INDEXES[table], f"{index} is not a login index:\n{sql}\n{plan}"
                # An index walked only for its order (ORDER BY id) would read the whole tenant.
                assert condition, f"{index} is scanned without a condition:\n{sql}\n{plan}"


def index_scans(plan):
    """(index, table, its Index Cond or "") of each index scan in an EXPLAIN's text."""
    lines = plan.splitlines()
    scans = []
    for number, line in enumerate(lines):
        match = re.search(r"(?:Index (?:Only )?Scan (?:Backward )?using (\w+) on (\w+)|Bitmap Index Scan on (\w+))", line)
        if not match:
            continue
        index = match.group(1) or match.group(3)
        table = match.group(2) or "accounts_user"
        depth = len(line) - len(line.lstrip())
        condition = ""
        for detail in lines[number + 1:]:
            if len(detail) - len(detail.lstrip()) <= depth or "->" in detail:
                break
            if "Index Cond:" in detail:
                condition = detail.strip()
        scans.append((index, table, condition))
    return scans


def test_the_lookups_find_their_user(tenants):
    found = {}
    for name, (tenant, lookup) in lookups(tenants).items():
        with tenant_scope(tenant):
            found[name] = lookup()
    assert found["allauth: login by e-mail"][0].email == "user7@email.example"
    assert found["allauth: login by username"].username == "login-7-contract"
    assert found["allauth: login by phone"].phone == "+79000000007"
    assert found["recovery by e-mail"].email == "user7@email.example"
    assert found["recovery by phone"].phone == "+79000000007"
    assert found["recovery by generated login"].username == "login-7-contract"
    assert [user.email for user in found["signup: is the contact taken"]] == ["user7@email.example"]
    assert found["staff registration: is the contact taken"] is False


def test_emails_are_stored_in_lower_case(tenants):
    tenant = tenants[TenantPolicy.LoginKind.EMAIL]
    with tenant_scope(tenant):
        user = User.objects.create_user(username="x", email=" Ivan.Petrov@Example.COM ", tenant=tenant)
        user.refresh_from_db()
        assert user.email == "ivan.petrov@example.com"
        user.email = "IVAN@example.com"
        user.full_clean(exclude=["password"])
        assert user.email == "ivan@example.com"

