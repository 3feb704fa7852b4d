"""Fixtures of the kernel's tests."""

import pytest
from django.urls import set_script_prefix


@pytest.fixture
def script_prefix_restored():
    """For tests that send a SCRIPT_NAME through the WSGI handler, which sets the prefix."""
    yield
    set_script_prefix("/")
