"""Guards over the whole project: what a new app or model could silently get wrong."""

import configparser
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[1]
NOT_OURS = {"var", "node_modules", "__pycache__"}


def configured_testpaths():
    config = configparser.ConfigParser()
    config.read(ROOT / "pytest.ini")
    return config["pytest"]["testpaths"].split()


def test_every_folder_of_tests_is_collected():
    testpaths = configured_testpaths()
    test_files = [
        path.relative_to(ROOT) for path in ROOT.rglob("test_*.py")
        if not any(part.startswith(".") or part in NOT_OURS for part in path.relative_to(ROOT).parts)
    ]
    assert test_files
    uncollected = [str(path) for path in test_files if path.parts[0] not in testpaths]
    assert not uncollected, f"add their folders to testpaths in pytest.ini: {uncollected}"


# The tenant's own configuration, read with the tenant before any scope exists (the host's
# domains) or through it (tenant.policy); only platform superusers edit them.
PART_OF_THE_TENANT = {"portal.TenantDomain", "portal.TenantPolicy"}
# The admin's log keeps Django's manager (it is in the admin's migration state): the admin
# reads it only for an object it has first found through the scoped ModelAdmin queryset
# (history), or for the signed-in staff member's own actions (the index).
READ_THROUGH_A_SCOPED_OBJECT = {"admin.LogEntry"}


def tenant_path(model, seen=()):
    """The lookup from ``model`` to its tenant ("tenant", "user__tenant"), or None."""
    from portal.models import Tenant

    if model is Tenant or model in seen:
        return None
    parents = [field for field in model._meta.get_fields()
               if field.concrete and (field.many_to_one or field.one_to_one) and field.related_model is not None]
    for field in parents:
        if field.related_model is Tenant:
            return field.name
    for field in parents:
        if parent := tenant_path(field.related_model, (*seen, model)):
            return f"{field.name}__{parent}"
    return None


def test_every_model_with_a_tenant_has_a_scoped_default_manager():
    unscoped = {
        model._meta.label: path for model in apps.get_models()
        if (path := tenant_path(model)) and model._meta.label not in PART_OF_THE_TENANT | READ_THROUGH_A_SCOPED_OBJECT
        and not getattr(model._default_manager, "is_tenant_scoped", False)
    }
    assert unscoped == {}, "give these a tenant_scoped_manager (or portal.scoping.scope_default_manager)"


# The floors (docs/architecture.md): an app imports only apps on floors below its own; apps on
# one floor do not import each other. The kernel (portal) is the ground floor.
FLOORS = {
    "portal": 0,
    # The trail records every app's models by label, and accounts records staff edits on it.
    "audit": 1,
    "accounts": 2,
    # billing, and privacy, which reaches the others only through the app registry (a
    # privacy module per app).
    "billing": 3, "privacy": 3,
    "meters": 4, "appeals": 4,
    "payments": 5, "notifications": 5,
    # The consumer's cabinet: the overview, where billing, meters and payments meet.
    "cabinet": 6,
}
# The kernel may name an app's URLs (wiring) and nothing else of it.
KERNEL_WIRING = {"portal/urls.py"}
# Imports that go up a floor today, each to be taken out; an entry lists the files that may
# still make it. Empty it, don't add to it.
GOING_UP = {
    # Registration by contract (guide 000) reads billing's counterparties and contracts;
    # the demo's consumer links billing's demo accounts.
    ("accounts", "billing"): {"accounts/registration.py", "accounts/demo.py"},
}


def imported_apps(path):
    """The project's apps that ``path`` imports (absolute imports, at any depth in the file)."""
    import ast

    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.append(node.module or "")
    return {name.split(".")[0] for name in names} & FLOORS.keys()


def upward_imports(app):
    """``app``'s code (not its tests) importing an app on its own floor or above."""
    offenders = []
    for path in sorted((ROOT / app).rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if "/tests/" in relative:
            continue
        for other in sorted(imported_apps(path) - {app}):
            if FLOORS[other] >= FLOORS[app] and relative not in GOING_UP.get((app, other), ()):
                offenders.append(f"{relative}: {other}")
    return offenders


def test_every_app_has_a_floor():
    ours = {config.name for config in apps.get_app_configs() if (ROOT / config.name).is_dir()}
    assert ours == FLOORS.keys()


def test_the_kernel_imports_no_feature_app():
    offenders = [line for line in upward_imports("portal") if line.split(":")[0] not in KERNEL_WIRING]
    assert offenders == []


def test_each_app_imports_only_the_floors_below_it():
    """Above all: billing imports neither meters nor payments, meters not payments; only the
    cabinet combines the three."""
    offenders = [line for app in FLOORS if app != "portal" for line in upward_imports(app)]
    assert offenders == []


def is_test_module(name):
    """A module of tests or of fixtures (pytest's conftest), by its dotted name."""
    last = name.rsplit(".", 1)[-1]
    return last.startswith("test_") or last == "conftest"


def imported_modules(path):
    """The dotted names ``path`` imports, relative imports resolved (``from . import x``
    names both the package and ``x``)."""
    import ast

    package = path.relative_to(ROOT).parent.parts
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[:len(package) - node.level + 1]) if node.level else ""
            module = ".".join(part for part in (base, node.module) if part)
            names.append(module)
            names += [f"{module}.{alias.name}" for alias in node.names]
    return names


def test_no_module_imports_a_test_module():
    """Builders live in each app's factories.py, helpers in portal/testing.py (and the
    browser's in tests/e2e/browser.py), shared fixtures in the nearest conftest.py: a test
    module imports none of them from another test module, nor from a conftest."""
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in sorted(ROOT.rglob("*.py"))
        if not any(part.startswith(".") or part in NOT_OURS for part in path.relative_to(ROOT).parts)
        for name in imported_modules(path) if is_test_module(name)
    ]
    assert offenders == []


def test_no_app_has_a_migration_to_make(db):
    from io import StringIO

    from django.core.management import call_command

    output = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=output)  # SystemExit(1) if one is missing
