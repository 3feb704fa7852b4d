"""Beat deletes confirmations nobody can use any more, across tenants, and keeps the rest."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import tasks
from accounts.models import Confirmation, User
from accounts.services import confirmations_delete_stale
from portal.scoping import scopes_disabled, tenant_scope
from portal.services import tenant_create


@pytest.fixture
def users(db):
    found = []
    for slug in ("alpha", "beta"):
        tenant = tenant_create(slug=slug, name=f"ООО «{slug}»", short_name=slug, kind="gas")
        with tenant_scope(tenant):
            found.append(User.objects.create_user(username=f"ivan@{slug}.example", email=f"ivan@{slug}.example",
                                                  tenant=tenant))
    return found


def confirmation(user, *, age, code_ttl=None, key_ttl=None, **fields):
    """A confirmation sent ``age`` ago whose code/link lives ``code_ttl``/``key_ttl`` from then."""
    sent = timezone.now() - age
    with tenant_scope(user.tenant):
        made = Confirmation.objects.create(
            tenant=user.tenant, user=user, purpose=Confirmation.Purpose.SIGNUP_EMAIL, channel="email",
            destination=user.email, code_expires_at=sent + code_ttl if code_ttl else None,
            key_expires_at=sent + key_ttl if key_ttl else None, **fields,
        )
        Confirmation.objects.filter(pk=made.pk).update(created_at=sent)
    return made.pk


def remaining():
    with scopes_disabled():
        return set(Confirmation.objects.values_list("pk", flat=True))


def test_dead_confirmations_older_than_a_day_are_deleted(users):
    day, minutes, hours = timedelta(days=1, minutes=1), timedelta(minutes=10), timedelta(hours=72)
    dead = set()
    kept = set()
    for user in users:  # both tenants at once
        dead |= {
            confirmation(user, age=day, code_ttl=minutes, used_at=timezone.now() - day),
            confirmation(user, age=day, code_ttl=minutes, superseded=True),
            confirmation(user, age=day, code_ttl=minutes),  # the code expired
            confirmation(user, age=timedelta(days=4), code_ttl=minutes, key_ttl=hours),  # both expired
        }
        kept |= {
            # A link of a three-day activation window, still live after a day.
            confirmation(user, age=day, code_ttl=minutes, key_ttl=hours),
            # Dead, but recent: the resend cooldown is counted from the last one sent.
            confirmation(user, age=timedelta(minutes=30), code_ttl=minutes, used_at=timezone.now()),
            confirmation(user, age=timedelta(hours=2), code_ttl=minutes, superseded=True),
            confirmation(user, age=timedelta(seconds=5), code_ttl=minutes),
        }
    assert tasks.delete_stale_confirmations.apply().get() == len(dead)
    assert remaining() == kept
    assert confirmations_delete_stale() == 0
