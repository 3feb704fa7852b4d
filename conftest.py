"""Fixtures shared by every app's tests."""

import pytest
from django.test import Client

from portal import demo
from portal.models import Tenant
from portal.testing import host_of


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Hashing cost is not what these tests are about; bench/ measures the real hashers.
    settings.PASSWORD_HASHERS = [FAST_PASSWORD_HASHER]


FAST_PASSWORD_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate-limit counters live in the cache; each test starts with none. Nor with pages kept
    # in memory or captcha keys made for them (portal.page_cache, portal.captcha).
    from django.core.cache import cache, caches

    from portal.captcha import forget_made_keys

    for clear in (cache.clear, caches["pages"].clear, forget_made_keys):
        clear()
    yield
    for clear in (cache.clear, caches["pages"].clear, forget_made_keys):
        clear()


@pytest.fixture(autouse=True)
def _rate_windows_stand_still(monkeypatch):
    # A limit counts per clock window (a minute, an hour); a test that makes its tries across a
    # window's end would find its count reset and fail by chance. Within a test no window ends.
    monkeypatch.setattr("django_ratelimit.core._get_window", lambda value, period: 0)
    monkeypatch.setattr("portal.ratelimits._window", lambda period: 0)


@pytest.fixture(autouse=True)
def _payment_settings(settings):
    # Tests run with DEBUG off, where provider secrets need a key from the environment; and
    # the sandbox notifies at once, once, in order, unless a test asks for its tricks.
    settings.PAYMENT_SECRETS_KEYS = [TEST_PAYMENT_SECRETS_KEY]
    settings.PAYMENT_SANDBOX_NOTIFY_DELAY = (0, 0)
    settings.PAYMENT_SANDBOX_DUPLICATE_SHARE = 0
    settings.PAYMENT_SANDBOX_REORDER_SHARE = 0


TEST_PAYMENT_SECRETS_KEY = "dGVzdC1rZXktZm9yLXBheW1lbnQtc2VjcmV0cy0wMDA="


@pytest.fixture(autouse=True)
def _outbox_in_tmp(settings, tmp_path):
    # Tests read codes and links from the outbox, as a person trying the demo would.
    settings.EMAIL_BACKEND = "portal.messaging.OutboxEmailBackend"
    settings.SMS_BACKEND = "file"
    settings.OUTBOX_DIR = tmp_path / "outbox"


@pytest.fixture
def demo_tenants(db, request):
    """The five demo tenants of PRODUCT.md, by slug: what seed_demo writes, copied in.

    A transactional test (no transaction around it; pytest-django runs them after the
    others) may find the migrations' rows gone, flushed after an earlier one, which the
    copy builds on: it seeds as before."""
    from django.db import connection

    if connection.in_atomic_block:
        request.getfixturevalue("_demo_rows").copy_in()
    else:
        demo.seed_demo()
    return {tenant.slug: tenant for tenant in Tenant.objects.all()}


@pytest.fixture(scope="session")
def _demo_rows(django_db_setup, django_db_blocker):
    """seed_demo run once per test run, in a transaction rolled back, keeping the rows it
    wrote; each test that asks for the demo copies them in (COPY, a few tens of
    milliseconds) instead of seeding it again (about two seconds, for some 250 tests)."""
    from django.core.cache import cache
    from django.db import transaction
    from django.test import override_settings

    from portal.tests.demo_rows import DemoRows

    with django_db_blocker.unblock(), override_settings(
        PASSWORD_HASHERS=[FAST_PASSWORD_HASHER], PAYMENT_SECRETS_KEYS=[TEST_PAYMENT_SECRETS_KEY]
    ):
        with transaction.atomic():
            rows = DemoRows.capture(demo.seed_demo)
            transaction.set_rollback(True)
    cache.clear()
    return rows


@pytest.fixture
def registry_unregistered(demo_tenants):
    """The demo tenants with guide 000's first counterparty free to register again (the
    demo's rgmek consumer, who holds it, removed)."""
    from accounts.factories import free_the_registrys_first_counterparty

    free_the_registrys_first_counterparty()
    return demo_tenants


@pytest.fixture
def tenants(db):
    """Two plain tenants (the platform's default policy), for tests about tenants in general
    rather than the demo: cheaper than the demo, and it stays so as apps add demo data."""
    from portal.factories import TenantFactory

    return TenantFactory(slug="alpha"), TenantFactory(slug="beta")


@pytest.fixture
def gas(tenants):
    """The two plain tenants and a gas supplier of the first, whose account numbers are eight
    digits typed with spaces, dashes or a leading zero: (alpha, beta, supplier). For the
    consumer's pages of every app (meters.factories.make_account builds its accounts)."""
    from billing.factories import SupplierFactory

    alpha, beta = tenants
    supplier = SupplierFactory(tenant=alpha, code="ryazan", name="Газ Рязань", account_number_separators=" -",
                               account_number_strip_leading_zeros=True, account_number_pattern=r"[1-9]\d{7}",
                               account_number_hint="8 цифр")
    return alpha, beta, supplier


@pytest.fixture
def consumer(gas, tenant_client):
    """A customer of ``gas``'s first tenant, and a client signed in as them: (user, client)."""
    from accounts.factories import UserFactory

    alpha, _beta, _supplier = gas
    user = UserFactory(tenant=alpha)
    client = tenant_client(alpha)
    client.force_login(user)
    return user, client


@pytest.fixture
def alpha(tenants):
    """Tenant alpha with the supplier «energo» the exchange files of billing.factories name
    (tests of the import; a test folder may give ``alpha`` another meaning of its own)."""
    from billing.factories import exchange_tenant

    return exchange_tenant(tenants[0])


@pytest.fixture
def beta(tenants):
    """Tenant beta with a supplier «energo» of its own: the same codes as alpha's."""
    from billing.factories import exchange_tenant

    return exchange_tenant(tenants[1], "Энергосбыт Беты")


@pytest.fixture
def imported(alpha, tmp_path):
    """``alpha`` with every file of billing.factories.EXCHANGE_FILES imported."""
    from billing.factories import run_import, write_exchange_files

    run_import(alpha, write_exchange_files(tmp_path / "base"))
    return alpha


@pytest.fixture
def tenant_client(django_capture_on_commit_callbacks):
    """A test client bound to a tenant's host: tenant_client(tenant, REMOTE_ADDR=...).

    Each request's on-commit callbacks run (codes are sent after commit; the test
    transaction never commits), so the outbox fills as it would in production.
    """

    def make(tenant, **client_options):
        client = Client(HTTP_HOST=host_of(tenant) if tenant else "localhost", **client_options)
        send = client.request

        def request(**kwargs):
            with django_capture_on_commit_callbacks(execute=True):
                return send(**kwargs)

        client.request = request
        return client

    return make


@pytest.fixture
def outbox():
    """What the portal sent, newest first, with helpers to pick codes and links."""
    import re

    from portal.messaging import read_outbox

    class Outbox:
        @staticmethod
        def messages(to=None):
            return [entry for entry in read_outbox() if to is None or entry.to == to]

        def last_code(self, to):
            match = re.search(r"\b(\d{4,8})\b", self.messages(to)[0].text)
            return match.group(1)

        def last_link(self, to, path="/accounts/activate/"):
            match = re.search(r"https?://[^/\s]+(" + re.escape(path) + r"[^\s]+)", self.messages(to)[0].text)
            return match.group(1)

    return Outbox()


@pytest.fixture
def admin_login():
    """admin_login(client, user): logged in to the admin as if the TOTP code was typed."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def login(client, user):
        from portal.scoping import tenant_scope

        with tenant_scope(user.tenant):
            device, _created = TOTPDevice.objects.get_or_create(user=user, name="test", defaults={"confirmed": True})
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()

    return login



@pytest.fixture
def captcha_passes(monkeypatch):
    """The captcha takes "PASSED" (django-simple-captcha reads its settings once, at import)."""
    monkeypatch.setattr("captcha.conf.settings.CAPTCHA_TEST_MODE", True)


@pytest.fixture
def redis_celery_app():
    """A Celery app of the portal's tasks on the test broker (TEST_CELERY_BROKER_URL), for
    tests that start a real worker."""
    import os

    from celery import Celery

    from portal.celery import app as portal_app

    broker_url = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
    app = Celery("portal-test", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    # A result backend only here: the tests wait for tasks to finish.
    app.conf.update(broker_url=broker_url, result_backend=broker_url, task_always_eager=False,
                    task_default_queue="portal-test")
    app.loader.import_default_modules()
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge("portal-test")  # nothing left from an earlier run
    yield app
    app.close()
    # start_worker makes its app the current and default one; give that back, or every
    # later .delay() would be sent to this test's Redis queue, where nobody listens.
    portal_app.set_current()
    portal_app.set_default()
