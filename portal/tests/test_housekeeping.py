"""Beat deletes expired captchas and sessions; sessions are read from the cache."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from captcha.models import CaptchaStore
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.models import User
from portal import tasks
from portal.celery import app
from portal.scoping import tenant_scope
from portal.services import tenant_create

ROOT = Path(__file__).resolve().parents[2]


def test_expired_captchas_are_deleted_and_live_ones_kept(db):
    live = CaptchaStore.objects.get(hashkey=CaptchaStore.generate_key())
    expired = CaptchaStore.objects.get(hashkey=CaptchaStore.generate_key())
    CaptchaStore.objects.filter(pk=expired.pk).update(expiration=timezone.now() - timedelta(seconds=1))
    assert tasks.delete_expired_captchas.apply().get() == 1
    assert list(CaptchaStore.objects.all()) == [live]


def test_expired_sessions_are_deleted_and_live_ones_kept(db):
    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    live, expired = store(), store()
    for session in (live, expired):
        session["x"] = 1
        session.create()
    Session.objects.filter(session_key=expired.session_key).update(expire_date=timezone.now() - timedelta(seconds=1))
    tasks.delete_expired_sessions.apply().get()
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


def test_every_scheduled_task_exists():
    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]


def test_a_logged_in_request_reads_its_session_from_the_cache(db, client):
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
    tenant = tenant_create(slug="alpha", name="ООО «Альфа»", short_name="Альфа", kind="gas")
    with tenant_scope(tenant):
        user = User.objects.create_user(username="ivan@example.com", email="ivan@example.com", tenant=tenant)
    client.force_login(user)
    client.get("/support/", HTTP_HOST="alpha.localhost")  # the first request may warm the cache
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/support/", HTTP_HOST="alpha.localhost")
    assert response.status_code == 200 and response.context["user"] == user
    assert not [query for query in queries if "django_session" in query["sql"]]


@pytest.mark.parametrize(("environment", "max_age"), [
    ({"DEBUG": "true"}, 0), ({"DEBUG": "false"}, 60), ({"DEBUG": "false", "CONN_MAX_AGE": "15"}, 15),
])
def test_database_connections_persist_in_production_with_health_checks(environment, max_age):
    env = {name: value for name, value in os.environ.items() if name not in ("CONN_MAX_AGE", "DEBUG")}
    env.update(environment, SECRET_KEY="x" * 50, DJANGO_SETTINGS_MODULE="portal.settings")
    code = "from portal import settings as s; d = s.DATABASES['default']; print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == [str(max_age), "True"], result.stderr
