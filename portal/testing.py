"""Helpers for tests (the builders of rows live in each app's factories.py)."""

import time

from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory


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
