"""The captcha field every form uses (django-simple-captcha), made single-use under races.

The library reads the stored answer and deletes it afterwards, so two requests sent at once
with one solved captcha both pass. Here the answer is used up by the one DELETE that matches
it: of requests racing with the same captcha, exactly one deletes the row and passes."""

import os
import secrets
import threading
import time
from collections import deque
from datetime import timedelta

from captcha.conf import settings as captcha_settings
from captcha.fields import CaptchaField, CaptchaTextInput
from captcha.models import CaptchaStore
from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import page_cache


class CaptchaInput(CaptchaTextInput):
    """The library's widget, its key noted for a page kept in memory (portal.page_cache):
    each visitor served that page gets a captcha of their own."""

    def fetch_captcha_store(self, *args, **kwargs):
        super().fetch_captcha_store(*args, **kwargs)
        page_cache.note_per_request_value("captcha", self._key)


# A kept signup page gets a new captcha for every visitor. One INSERT each was most of such
# a page's cost, so keys are made BATCH at a time and handed out one per visitor (never
# twice); a key waits at most FRESH_FOR seconds in this process, so that it is served with
# nearly all of its CAPTCHA_TIMEOUT left. With visitors further apart than that, each one
# costs a batch, one INSERT all the same (the rows are deleted by the hourly housekeeping).
BATCH = 20
FRESH_FOR = 30  # seconds
_made = deque()  # (monotonic time made, key), oldest first
_made_lock = threading.Lock()


def new_key(request=None):
    """A captcha key no one else was given: from the batch this process made last, or the
    first of a new batch (``request``: what every renewer of portal.page_cache is given)."""
    with _made_lock:
        oldest = time.monotonic() - FRESH_FOR
        while _made and _made[0][0] < oldest:
            _made.popleft()
        if _made:
            return _made.popleft()[1]
    first, *rest = _make_batch()
    # The rest wait only once committed: keys of a transaction rolled back have no rows. The
    # first is this request's, as the library's own key would be (kept pages are served
    # outside a transaction, so it is committed at once).
    made_at = time.monotonic()
    transaction.on_commit(lambda: _hand_out_later(made_at, rest))
    return first


def _make_batch():
    challenge = captcha_settings.get_challenge()
    expiration = timezone.now() + timedelta(minutes=int(captcha_settings.CAPTCHA_TIMEOUT))
    rows = []
    for _number in range(BATCH):
        text, response = challenge()
        # 160 random bits, as long as the library's own key (a SHA-1 of less randomness).
        rows.append(CaptchaStore(challenge=text, response=response.lower(), hashkey=secrets.token_hex(20),
                                 expiration=expiration))
    CaptchaStore.objects.bulk_create(rows)
    return [row.hashkey for row in rows]


def _hand_out_later(made_at, keys):
    with _made_lock:
        _made.extend((made_at, key) for key in keys)


def forget_made_keys():
    """Drop the keys made and not yet handed out (tests, after the database is emptied; a
    forked child, whose parent hands out the same ones)."""
    with _made_lock:
        _made.clear()


os.register_at_fork(after_in_child=forget_made_keys)


page_cache.register_renewer("captcha", new_key)


class SingleUseCaptchaField(CaptchaField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", CaptchaInput())
        super().__init__(*args, **kwargs)

    def clean(self, value):
        response = ((value or ["", ""])[1] or "").strip().lower()
        if captcha_settings.CAPTCHA_TEST_MODE and response == "passed":
            return super().clean(value)
        forms.MultiValueField.clean(self, value)  # required, and the two parts present
        hashkey = value[0]
        used, _counts = CaptchaStore.objects.filter(hashkey=hashkey, response=response,
                                                    expiration__gt=timezone.now()).delete()
        if used != 1:
            CaptchaStore.objects.filter(hashkey=hashkey).delete()  # one try per captcha, right or wrong
            raise ValidationError(self.error_messages.get("invalid", _("Invalid CAPTCHA")), code="invalid")
        value[1] = ""
        return value
