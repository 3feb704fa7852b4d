"""After a confirmed erasure nothing in the database holds the person's contacts or name:
not the contacts they had before a profile change, not another user's pending change that
named them, and the staff's decision stays on the audit trail (attacks from the review of
issue 13, kept as tests)."""

from django.db import connection

from accounts.factories import PASSWORD
from accounts.models import User
from audit.models import AuditEntry
from portal.scoping import tenant_scope

from .test_deletion import decide, requests_of, signed_in, staff_of

NEW_PHONE = "+79001119999"
NEW_EMAIL = "consumer.new@example.com"


def columns_holding(needles):
    """{needle: [(table, column), ...]} for every text or JSON column of the database that
    holds the needle anywhere (a scan of the whole schema: what a forgotten table keeps)."""
    found = {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name, column_name FROM information_schema.columns "
                       "WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'json', 'jsonb')")
        columns = cursor.fetchall()
        for needle in needles:
            for table, column in columns:
                cursor.execute(f'SELECT count(*) FROM "{table}" WHERE "{column}"::text ILIKE %s', [f"%{needle}%"])
                if cursor.fetchone()[0]:
                    found.setdefault(needle, []).append((table, column))
    return found


def erase(tenant_client, admin_login, tenant, person):
    signed_in(tenant_client, person, tenant).post("/privacy/delete/", {"password": PASSWORD})
    staff = tenant_client(tenant)
    admin_login(staff, staff_of(tenant))
    decide(staff, requests_of(person.user)[0], "confirm_deletion")
    assert requests_of(person.user)[0].status == "completed"


def test_erasure_forgets_the_contacts_replaced_in_the_profile(world, tenant_client, admin_login, outbox):
    alpha, consumer = world["alpha"], world["consumer"]
    user = consumer.user
    old_email, old_phone, surname = user.email, user.phone, user.last_name
    browser = signed_in(tenant_client, consumer, alpha)
    browser.post("/accounts/profile/phone/", {"phone": NEW_PHONE, "current_password": PASSWORD})
    browser.post("/accounts/profile/phone/confirm/", {"code": outbox.last_code(NEW_PHONE)})
    browser.post("/accounts/profile/email/", {"email": NEW_EMAIL, "current_password": PASSWORD})
    browser.post(outbox.last_link(NEW_EMAIL, path="/accounts/profile/email/"))
    with tenant_scope(alpha):
        assert User.objects.filter(pk=user.pk, email=NEW_EMAIL, phone=NEW_PHONE).exists()

    erase(tenant_client, admin_login, alpha, consumer)

    # The new e-mail stays once: the address of the «your data is erased» notice itself.
    assert columns_holding([old_email, old_phone, NEW_PHONE, surname]) == {}


def test_erasure_forgets_the_person_in_another_users_pending_change(world, tenant_client, admin_login, outbox):
    """A family member typed the person's phone and e-mail into their own profile (the
    «taken» path): their pending changes name the person's contacts."""
    alpha, consumer, family = world["alpha"], world["consumer"], world["family"]
    email, phone = consumer.user.email, consumer.user.phone
    other = signed_in(tenant_client, family, alpha)
    other.post("/accounts/profile/phone/", {"phone": phone, "current_password": PASSWORD})
    other.post("/accounts/profile/email/", {"email": email, "current_password": PASSWORD})

    erase(tenant_client, admin_login, alpha, consumer)

    assert columns_holding([phone]) == {}


def test_the_staff_decision_survives_the_erasure_it_caused(world, tenant_client, admin_login):
    alpha, consumer = world["alpha"], world["consumer"]
    erase(tenant_client, admin_login, alpha, consumer)
    with tenant_scope(alpha):
        changes = [entry.changes for entry in AuditEntry.objects.filter(content_type__model="deletionrequest")]
    assert any(change.get("status", [None, None])[1] == "confirmed" for change in changes), changes
    assert all("<erased>" not in change.get("decided_by", []) for change in changes), changes
