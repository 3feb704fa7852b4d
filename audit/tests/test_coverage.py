"""The trail covers every model whose change affects what a customer pays or sees (issue 22,
part 2): each of the project's models is on it (audit.apps.TRACKED) or left out with its
reason (NOT_TRACKED). A new model fails here until someone decides which."""

import re
import sys
from pathlib import Path

from auditlog.registry import auditlog
from django.apps import apps
from django.conf import settings

from audit.apps import NOT_TRACKED, SUBJECTS, TRACKED


def project_models():
    """The models of the project's own apps: under BASE_DIR, not installed packages (the
    virtual environment may live inside the project)."""
    base, packages = Path(settings.BASE_DIR).resolve(), Path(sys.prefix).resolve()
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if path.is_relative_to(base) and not path.is_relative_to(packages):
            yield from config.get_models()


def test_every_project_model_is_on_the_trail_or_excused_with_a_reason():
    labels = {model._meta.label for model in project_models()}
    assert "billing.Supplier" in labels and "audit.AuditEntry" in labels  # the walk finds the project
    unclassified = labels - TRACKED.keys() - NOT_TRACKED.keys()
    assert not unclassified, f"add each to audit.apps.TRACKED, or to NOT_TRACKED with the reason: {unclassified}"
    assert not TRACKED.keys() & NOT_TRACKED.keys()
    assert TRACKED.keys() | NOT_TRACKED.keys() <= labels, "a model that no longer exists"
    for label, reason in NOT_TRACKED.items():
        assert isinstance(reason, str) and len(reason.split()) >= 4, label


def test_what_a_customer_pays_or_sees_is_tracked():
    """What the issue names: never excused."""
    for label in ("billing.Supplier", "portal.TenantPolicy", "appeals.AppealsPolicy", "meters.ReadingWindow",
                  "billing.Account", "billing.AccountLink", "payments.Payment", "meters.Reading",
                  "accounts.User", "billing.WrongAnswers"):
        assert label in TRACKED, label


def test_every_tracked_model_is_registered_with_the_library():
    for label in TRACKED:
        assert auditlog.contains(apps.get_model(label)), label


# A password, a secret key, a hash of a PIN or code, a token (not a policy's password_min_length).
SECRET_NAME = re.compile(r"^password$|secret|_hash$|token")


def test_no_tracked_model_records_a_secret():
    """A field whose name says it holds a secret is excluded from the diffs."""
    for label, options in TRACKED.items():
        excluded = set(options.get("exclude_fields", ()))
        for field in apps.get_model(label)._meta.concrete_fields:
            if SECRET_NAME.search(field.name):
                assert field.name in excluded, f"{label}.{field.name}"


def test_subjects_name_tracked_models():
    assert SUBJECTS.keys() <= TRACKED.keys()
