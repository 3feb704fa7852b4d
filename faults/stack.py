"""The production stack of the fault run, all of it this run's own: PostgreSQL and Redis in a
temporary directory on free ports, gunicorn (2 sync workers), a Celery worker and Celery beat,
under the settings production uses (DEBUG=false, docker-compose.yml's variables).
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
REDIS_SERVER = os.environ.get("REDIS_SERVER", shutil.which("redis-server") or "/usr/bin/redis-server")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


class Stack:
    def __init__(self, *, visibility_timeout=None, keep=False):
        self.dir = Path(tempfile.mkdtemp(prefix="portal-faults-"))
        self.keep = keep
        self.pg_port, self.redis_port, self.web_port = free_port(), free_port(), free_port()
        self.processes = {}
        self.env = {
            **os.environ,
            # docker-compose.yml's production environment, pointed at this run's services.
            "DEBUG": "false",
            "SECRET_KEY": "faults-run-" + os.urandom(16).hex(),
            "PAYMENT_SECRETS_KEYS": _fernet_key(),
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{self.pg_port}/portal",
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/1",
            "PORTAL_DOMAIN": "localhost",
            "PORTAL_SCHEME": "http",
            "PORTAL_PORT": str(self.web_port),
            "SECURE_SSL_REDIRECT": "false",
            "TRUSTED_PROXY_COUNT": "0",
            # The sandbox stands in for the payment provider (a production server offers it
            # only when told to); e-mail and SMS are written to files, as `make run` does.
            "PAYMENT_SANDBOX_ENABLED": "true",
            "OUTBOX_DIR": str(self.dir / "outbox"),
            "STATIC_ROOT": str(self.dir / "static"),
            "MEDIA_ROOT": str(self.dir / "media"),
            "PRIVATE_ROOT": str(self.dir / "private"),
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
        for name in ("CELERY_TASK_ALWAYS_EAGER", "TEST_CELERY_BROKER_URL", "EMAIL_URL"):
            self.env.pop(name, None)
        if visibility_timeout is not None:
            self.env["CELERY_VISIBILITY_TIMEOUT"] = str(visibility_timeout)
        else:
            self.env.pop("CELERY_VISIBILITY_TIMEOUT", None)

    # Processes.

    def _start(self, name, argv, **kwargs):
        log = open(self.dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True, **kwargs)
        process.log = log
        self.processes[name] = process
        return process

    def _stop(self, name, sig=signal.SIGTERM, timeout=15.0):
        process = self.processes.pop(name, None)
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # gone already
                os.killpg(process.pid, sig)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        process.log.close()

    def log_path(self, name):
        return self.dir / f"{name}.log"

    def manage(self, *args):
        subprocess.run([str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=self.env, check=True,
                       stdout=subprocess.DEVNULL)

    # PostgreSQL. initdb refuses to run as root: under root (a CI container) its commands
    # run as the system's postgres user, in a directory of that user's.

    def _as_postgres(self, argv):
        if os.geteuid() == 0:
            return ["runuser", "-u", os.environ.get("PG_USER", "postgres"), "--", *argv]
        return argv

    def postgres_init(self):
        self.pg_dir = Path(tempfile.mkdtemp(prefix="portal-faults-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.pg_dir, os.environ.get("PG_USER", "postgres"))
        subprocess.run(self._as_postgres([str(PG_BIN / "initdb"), "-D", str(self.pg_dir / "data"), "-U", "postgres",
                                          "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]),
                       check=True, stdout=subprocess.DEVNULL)
        self.postgres_start()
        subprocess.run([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.pg_port), "-U", "postgres",
                        "portal"], check=True)

    def _pg_ctl(self, *args):
        subprocess.run(self._as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.pg_dir / "data"),
                                          "-l", str(self.pg_dir / "postgres.log"), *args]),
                       check=True, stdout=subprocess.DEVNULL)

    def postgres_start(self):
        # fsync off: the run's data need not survive the machine, and CI's disk is shared.
        self._pg_ctl("-w", "-o", f"-p {self.pg_port} -k {self.pg_dir} -c listen_addresses=127.0.0.1 "
                     "-c fsync=off -c max_connections=60", "start")

    def postgres_restart(self):
        """pg_ctl's fast shutdown (every session ended, as a failover or a restart does)."""
        self._pg_ctl("-w", "-m", "fast", "stop")
        self.postgres_start()

    def postgres_stop(self):
        if getattr(self, "pg_dir", None) and (self.pg_dir / "data" / "postmaster.pid").exists():
            self._pg_ctl("-w", "-m", "immediate", "stop")

    # Redis: no persistence at all, so a restart loses everything it held.

    def redis_start(self):
        self._start("redis", [REDIS_SERVER, "--port", str(self.redis_port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no", "--dir", str(self.dir)])
        wait_for_port(self.redis_port)

    def redis_stop(self):
        self._stop("redis", signal.SIGKILL)

    # The portal's processes, as docker-compose.yml runs them.

    def web_start(self):
        self._start("web", [str(BIN / "gunicorn"), "portal.wsgi:application", "--bind", f"127.0.0.1:{self.web_port}",
                            "--workers", "2", "--access-logfile", "-"])
        wait_for_port(self.web_port)

    def worker_start(self):
        # Two pool processes: the run's machine has two cores (a worker's default).
        return self._start("worker", [str(BIN / "celery"), "-A", "portal", "worker", "-l", "info",
                                      "--concurrency", "2", "-n", f"faults-{time.monotonic_ns()}@%h"])

    def worker_kill(self):
        """SIGKILL to the worker and its pool processes at once (a lost machine, the OOM killer
        taking the whole container): nothing of it acknowledges or gives back anything."""
        self._stop("worker", signal.SIGKILL)

    def beat_start(self):
        self._start("beat", [str(BIN / "celery"), "-A", "portal", "beat", "-l", "info",
                             "--schedule", str(self.dir / "celerybeat-schedule")])

    def close(self):
        for name in list(self.processes):
            self._stop(name)
        self.postgres_stop()
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
            if getattr(self, "pg_dir", None):
                shutil.rmtree(self.pg_dir, ignore_errors=True)


def _fernet_key():
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()
