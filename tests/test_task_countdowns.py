"""A killed worker's tasks run again within 5 minutes, and no task waits in the broker longer
than the broker holds a message for its worker (issue 25, item 4).

With acks_late on Redis, a message handed to a worker and not acknowledged within the
visibility timeout goes to another worker: that is how a killed worker's task runs again, and
also what happens to a task still waiting for its countdown. So the timeout is short, and the
code is walked (its syntax tree) for every wait a task may be given (``countdown=`` and ``eta=``
on any call: ``apply_async``, ``retry``, ``signature``, ``send_task``; ``default_retry_delay``,
``retry_backoff_max`` and ``retry_backoff`` of a task): each must be a number, a constant, or
an expression capped by one (``min(MAX_COUNTDOWN, …)``), at most TASK_MAX_COUNTDOWN. A longer
wait is a due time in the database that a beat sweep reads (payments.providers.sandbox.remote)."""

import ast
import importlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
NOT_OURS = {"var", "node_modules", "__pycache__", "migrations", "tests"}
# What Celery waits where a task does not say (celery.app.task.Task, autoretry).
CELERY_DEFAULT_RETRY_DELAY = 180
CELERY_DEFAULT_RETRY_BACKOFF_MAX = 600
TIMEDELTA_SECONDS = {"weeks": 604800, "days": 86400, "hours": 3600, "minutes": 60, "seconds": 1,
                     "milliseconds": 0.001, "microseconds": 0.000001}


def project_modules():
    """(dotted name, path) of every module of ours that runs in production (no tests)."""
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if any(part.startswith(".") or part in NOT_OURS for part in parts) or parts[0] in ("bench", "conftest.py"):
            continue
        yield ".".join(parts).removesuffix(".py").removesuffix(".__init__"), path


class Waits(ast.NodeVisitor):
    """Every wait a task may be given in one module: (line, what, seconds or None if nothing
    caps it). Names are read from the module's namespace (constants, imported settings)."""

    def __init__(self, namespace):
        self.namespace = namespace
        self.found = []
        self.retry_delays = [CELERY_DEFAULT_RETRY_DELAY]  # of the task whose body is walked

    def bound(self, node):
        """The most seconds ``node`` can be, or None."""
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return node.value
        if isinstance(node, (ast.Name, ast.Attribute)):
            try:
                value = eval(compile(ast.Expression(node), "<wait>", "eval"), dict(self.namespace))  # noqa: S307
            except Exception:  # noqa: BLE001 - a name of the running code (self.request.retries)
                return None
            if isinstance(value, timedelta):
                return value.total_seconds()
            return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            bounds = [self.bound(argument) for argument in node.args]
            if name == "min" and any(bound is not None for bound in bounds):
                return min(bound for bound in bounds if bound is not None)
            if name == "max" and bounds and None not in bounds:
                return max(bounds)
            if name == "timedelta":
                parts = [(keyword.arg, self.bound(keyword.value)) for keyword in node.keywords]
                parts += list(zip(["days", "seconds", "microseconds", "milliseconds", "minutes", "hours", "weeks"],
                                  bounds))
                if all(bound is not None for _unit, bound in parts):
                    return sum(TIMEDELTA_SECONDS[unit] * bound for unit, bound in parts)
            if name in ("now", "utcnow", "monotonic", "time"):
                return 0  # a wait counted from now
            return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mult)):
            left, right = self.bound(node.left), self.bound(node.right)
            if left is None or right is None:
                return None
            return left + right if isinstance(node.op, ast.Add) else left * right
        return None

    def visit_Call(self, node):
        for keyword in node.keywords:
            if keyword.arg in ("countdown", "eta"):
                self.found.append((node.lineno, f"{keyword.arg}={ast.unparse(keyword.value)}",
                                   self.bound(keyword.value)))
        if getattr(node.func, "attr", "") == "retry" and not {"countdown", "eta"} & {k.arg for k in node.keywords}:
            self.found.append((node.lineno, "retry() with the task's default_retry_delay", self.retry_delays[-1]))
        self.generic_visit(node)

    def task_options(self, lineno, options):
        """A task's own waits: its default_retry_delay, and its autoretry's longest backoff."""
        delay = self.bound(options["default_retry_delay"]) if "default_retry_delay" in options \
            else CELERY_DEFAULT_RETRY_DELAY
        if "default_retry_delay" in options:
            self.found.append((lineno, f"default_retry_delay={ast.unparse(options['default_retry_delay'])}", delay))
        backoff = options.get("retry_backoff")
        if backoff is not None and not (isinstance(backoff, ast.Constant) and not backoff.value):
            maximum = options.get("retry_backoff_max")
            self.found.append((lineno, f"retry_backoff_max={ast.unparse(maximum) if maximum else '(600 by default)'}",
                               self.bound(maximum) if maximum else CELERY_DEFAULT_RETRY_BACKOFF_MAX))
        elif "autoretry_for" in options:
            self.found.append((lineno, "autoretry_for without retry_backoff (default_retry_delay)", delay))
        return delay

    def visit_FunctionDef(self, node):
        delays = [self.task_options(decorator.lineno, {keyword.arg: keyword.value for keyword in decorator.keywords})
                  for decorator in node.decorator_list if isinstance(decorator, ast.Call)]
        self.retry_delays.append(max([delay for delay in delays if delay is not None] or [self.retry_delays[-1]]))
        self.generic_visit(node)
        self.retry_delays.pop()

    def visit_ClassDef(self, node):
        options = {target.id: statement.value for statement in node.body if isinstance(statement, ast.Assign)
                   for target in statement.targets if isinstance(target, ast.Name)}
        if {"default_retry_delay", "retry_backoff", "autoretry_for"} & options.keys():
            self.task_options(node.lineno, options)
        self.generic_visit(node)


def waits_in(source, namespace):
    walker = Waits(namespace)
    walker.visit(ast.parse(source))
    return walker.found


def too_long(found, where):
    limit = settings.TASK_MAX_COUNTDOWN
    return [f"{where}:{line}: {what} — {'nothing caps it' if seconds is None else f'{seconds:g} s'}"
            for line, what, seconds in found if seconds is None or seconds > limit]


def test_no_task_waits_in_the_broker_longer_than_it_may():
    with_waits, offenders = set(), []
    for name, path in project_modules():
        source = path.read_text(encoding="utf-8")
        if not any(word in source for word in ("countdown", "eta=", "retry")):
            continue
        if waits := waits_in(source, vars(importlib.import_module(name))):
            with_waits.add(name)
        offenders += too_long(waits, path.relative_to(ROOT))
    assert {"portal.tasks", "payments.tasks", "payments.providers.sandbox.remote"} <= with_waits, "is the walk reading the project?"
    assert offenders == [], (
        f"waits longer than TASK_MAX_COUNTDOWN ({settings.TASK_MAX_COUNTDOWN} s, half the broker's visibility "
        f"timeout) or not capped by it; cap them (min(MAX_COUNTDOWN, …), portal.retries) or keep the wait in the "
        f"database for a beat sweep:\n" + "\n".join(offenders))


NAMES = {"MAX_COUNTDOWN": 120, "HOUR": 3600, "timedelta": timedelta}


@pytest.mark.parametrize("source", [
    "task.apply_async(countdown=3600)",
    "task.apply_async(kwargs={}, countdown=HOUR)",
    "raise self.retry(exc=error, countdown=min(3600, 10 * 2**self.request.retries))",
    "raise self.retry(countdown=10 * 2**self.request.retries)",
    "task.apply_async(countdown=delay)",
    "task.apply_async(eta=timezone.now() + timedelta(hours=1))",
    "task.apply_async(eta=payment.due_at)",
    "@shared_task(default_retry_delay=900)\ndef t(): pass",
    "@shared_task(bind=True)\ndef t(self):\n    raise self.retry(exc=error)",
    "@shared_task(autoretry_for=(OSError,))\ndef t(): pass",
    "@shared_task(autoretry_for=(OSError,), retry_backoff=True)\ndef t(): pass",
    "@shared_task(autoretry_for=(OSError,), retry_backoff=5, retry_backoff_max=1800)\ndef t(): pass",
    "class Slow(Task):\n    default_retry_delay = 600",
])
def test_the_walk_finds_a_wait_too_long_or_unbounded(source):
    assert too_long(waits_in(source, NAMES), "<source>"), "not caught"


@pytest.mark.parametrize("source", [
    "task.apply_async(countdown=5)",
    "task.apply_async(countdown=min(delay, MAX_COUNTDOWN))",
    "raise self.retry(exc=error, countdown=min(MAX_COUNTDOWN, 10 * 2**self.request.retries))",
    "task.apply_async(eta=timezone.now() + timedelta(seconds=30))",
    "@shared_task(bind=True, default_retry_delay=60)\ndef t(self):\n    raise self.retry(exc=error)",
    "@shared_task(autoretry_for=(OSError,), retry_backoff=5, retry_backoff_max=MAX_COUNTDOWN)\ndef t(): pass",
])
def test_the_walk_lets_a_capped_wait_pass(source):
    found = waits_in(source, NAMES)
    assert found and too_long(found, "<source>") == []


def test_a_killed_workers_tasks_run_again_within_five_minutes():
    """Redis hands a message out again once it has been out for the visibility timeout, found
    by a worker's sweep every unacked_restore_interval × unacked_restore_throttle seconds (or,
    if a worker died in the midst of its sweep, once the sweep's lock expires); the task must
    be acknowledged late (after it ran) and put back if its process dies."""
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    sweep = options["unacked_restore_interval"] * options["unacked_restore_throttle"]
    assert options["visibility_timeout"] + sweep + options["unacked_mutex_expire"] <= 300
    assert settings.TASK_MAX_COUNTDOWN <= options["visibility_timeout"] / 2
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1  # a worker holds no queue of others' tasks


def test_every_beat_entry_runs_a_registered_task():
    from portal.celery import app

    app.loader.import_default_modules()
    missing = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values() if entry["task"] not in app.tasks]
    assert missing == []
