"""Helpers for tests (the builders of rows live in each app's factories.py)."""

import os
import re
import shutil
import signal
import socket
import subprocess
import time

from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory


def host_of(tenant):
    """The host a tenant's pages answer on in tests (Chromium and the test client alike)."""
    return f"{tenant.slug}.localhost"


def text_of(response):
    """A page's text as a person reads it: Russian number formatting groups thousands with a
    no-break space, written here as a plain one."""
    return response.content.decode().replace("\xa0", " ")


def wait_for(condition, seconds=30):
    """Wait until ``condition()`` holds, or ``seconds`` have passed (a real worker's pace)."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)


def through_wsgi(host, path, *, script_name="", cookie=""):
    """A GET through Django's WSGI handler, as gunicorn calls it (the test client sets no
    script prefix): the page's text."""
    environ = RequestFactory()._base_environ(PATH_INFO=path, HTTP_HOST=host, SCRIPT_NAME=script_name,
                                              HTTP_COOKIE=cookie)
    # As the test client does: the test's transaction keeps its connection open.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = WSGIHandler()(environ, lambda status, headers: None)
        try:
            return b"".join(response).decode()
        finally:
            response.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def multipart(fields, files=(), boundary="AttackBoundary"):
    """A multipart/form-data body: ``fields`` {name: value}, ``files`` [(field, name, bytes)]."""
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for field, name, content in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
                     f"Content-Type: application/pdf\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def logs_in(client, login, password):
    """Whether the login form takes ``login`` and ``password`` (the session then holds a user)."""
    client.post("/accounts/login/", {"login": login, "password": password})
    return "_auth_user_id" in client.session


def page_text(response):
    """A page as a person reads it: without the per-request CSRF token and CSP nonce."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return re.sub(r'nonce="[^"]+"', "", page)


class OwnRedis:
    """A redis-server of the test's own on a free port, without persistence."""

    def __init__(self, directory):
        server = shutil.which("redis-server") or "redis-server"
        self.available = shutil.which("redis-server") is not None
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.command = [server, "--port", str(self.port), "--save", "", "--appendonly", "no", "--dir", str(directory)]
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        import redis

        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL)
        for _ in range(100):
            try:
                redis.Redis(port=self.port).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self):
        self.process.kill()
        self.process.wait()

    def close(self):
        """Stopped for good, paused or not (a test's teardown)."""
        if self.process is not None and self.process.poll() is None:
            self.resume()
            self.stop()

    def pause(self):
        """Unreachable, its data kept (a network cut): it answers nothing until resume()."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self):
        os.kill(self.process.pid, signal.SIGCONT)
