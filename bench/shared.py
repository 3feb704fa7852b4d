"""What the benchmarks share: where the project is, the environment of a portal process under
production settings on a throw-away database, and how a result replaces its section of
docs/performance.md. (Run as `python bench/<name>.py`, a benchmark imports this as `shared`.)"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "performance.md"
SECRET_KEY = "bench-only-secret-key-not-used-anywhere-else-0123456789"


def portal_env(database, *, redis_url=None, broker_url="", inherit=True, **overrides):
    """The environment of a portal process under production settings (DEBUG=false, no TLS
    redirect: there is no proxy) on the PostgreSQL database ``database``, with Redis at
    ``redis_url`` (default $BENCH_REDIS_URL or database 12) and ``broker_url`` as the broker
    (empty: tasks run in the process). ``inherit``: start from this process's environment."""
    return {
        **(os.environ if inherit else {}),
        "DEBUG": "false",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "REDIS_URL": redis_url if redis_url is not None else os.environ.get("BENCH_REDIS_URL",
                                                                            "redis://127.0.0.1:6379/12"),
        "CELERY_BROKER_URL": broker_url,
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PYTHONPATH": str(ROOT),
        **overrides,
    }


def docs_replace(name, section, *, heading=None):
    """Put ``section`` between the ``<!-- name:begin -->`` and ``<!-- name:end -->`` markers of
    docs/performance.md; where there are none, append it under ``heading`` (or say so)."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text = DOCS.read_text(encoding="utf-8")
    block = f"{begin}\n{section}\n{end}"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    elif heading:
        text = text.rstrip("\n") + f"\n\n## {heading}\n\n{block}\n"
    else:
        print(f"{DOCS.relative_to(ROOT)} has no {begin} ... {end} section; not updated")
        return
    DOCS.write_text(text, encoding="utf-8")


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_start(app, env, *, workers=2):
    """gunicorn serving ``app`` with ``workers`` sync workers on a free port of loopback, in a
    session of its own (gunicorn_stop ends it and its workers); (process, port) once it accepts."""
    import socket
    import subprocess
    import sys
    import time

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--worker-class", "sync", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, port
        except OSError:
            time.sleep(0.2)
    gunicorn_stop(server)
    raise RuntimeError(f"gunicorn did not start: {app}")


def gunicorn_stop(server):
    import signal

    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


def django_on_fresh_database(env):
    """Drop and create the database of ``env`` (portal_env's), make this process a portal
    process on it (its settings, Django set up) and migrate it."""
    import sys

    import psycopg

    database = env["DATABASE_URL"].rsplit("/", 1)[1]
    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {database}")
        connection.execute(f"CREATE DATABASE {database}")
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
