"""Pages kept whole with holes: anonymous pages in each process's memory (below), and a
signed-in customer's pages in the shared cache under the versions they were built from
(``signed_in_page``, further down).

A tenant's home, login, signup and recovery pages look the same to every first-time
visitor: what changes from one visitor to the next is only the CSRF token, the CSP nonce
and the captcha. ``anonymous_page`` renders such a page once, keeps it with those values
cut out (its *holes*), and serves the next visitor the kept page with fresh values put in:
a new masked CSRF token of the visitor's own secret, the request's nonce, a new captcha.
Rendering was most of these pages' cost (docs/performance.md).

What a kept page may depend on, and what makes it stale:
- the tenant, its policy, domains and consent documents: the entry carries the host
  cache's generation (portal.hosts), which every change of those replaces, and is used
  only under the same one;
- code, templates and translations: the memory is the process's, so a deploy, which
  starts new processes, starts empty;
- anything else (a change that bypasses signals): entries expire after ``TIMEOUT``.
Only a visitor without a session and without messages is served a kept page or has theirs
kept: whoever has a session (signed in, half-way through a registration, just signed out)
gets the view itself, so nothing of a session can reach a kept page. A request with a
query string, one asking for JSON (allauth answers those with JSON), and any method but
GET get the view too. A page is kept only when the view answered 200 with HTML, set no
cookie, wrote nothing in the session, added no message and asked for no per-view header
policy (django-csp's decorators, xframe_options_exempt); and never when anything that
would pass as the visitor's CSRF token is left in it after cutting.
"""

import contextvars
import hashlib
import re
import uuid
from contextlib import contextmanager
from functools import wraps

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.session import SessionStorage
from django.core.cache import caches
from django.db import connection, transaction
from django.http import HttpResponse
from django.middleware.csrf import _does_token_match, get_token
from django.urls import get_script_prefix
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language

from . import versions
from .versions import cache_off

# They pay (bench/caches.py at gaz, 100,000 accounts, 2026-12-06, one round at load 7.9–9.4, so
# rough): with kept pages and {% kept %} off, the anonymous home fell from 27.2 % to 8.3 % of
# the bare view (the goal is 30 %) and the overview from 12.1 % to 3.4 %.
TIMEOUT = 60  # seconds
CACHE_ALIAS = "pages"

# A hole in a kept page: its number between two NULs. A page with a NUL of its own is not
# kept (PostgreSQL stores none, so staff's texts cannot bring one).
HOLE = "\x00"
# What Django's {% csrf_token %} renders.
CSRF_INPUT = re.compile(r'<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)">')
# What a masked CSRF token, or its secret, looks like anywhere else in a page.
CSRF_LIKE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{32}(?:[A-Za-z0-9]{32})?(?![A-Za-z0-9])")
# Attributes by which a view asks middleware for a header policy of its own; a kept page is
# answered with a new response, which would not carry them.
VIEW_HEADER_MARKS = ("_csp_config", "_csp_update", "_csp_replace", "_csp_exempt", "xframe_options_exempt")

# Renewers of per-request values other code puts into a page (register_renewer), by name.
_renewers = {}
# While a page is rendered to be kept: the values noted for renewal, (name, value) pairs.
_noted = contextvars.ContextVar("page_cache_noted", default=None)


def register_renewer(name, renew):
    """``renew(request)`` gives a fresh value of kind ``name`` for each visitor served a kept
    page in which a value of that kind was noted (note_per_request_value)."""
    _renewers[name] = renew


def note_per_request_value(name, value):
    """A value of kind ``name`` that must not be served twice (a captcha's key) went into the
    page being rendered: if the page is kept, each visitor gets a renewed one instead."""
    noted = _noted.get()
    if noted is not None:
        noted.append((name, value))


def one_time_token():
    """A new random token for a form of the page (a payment's, which makes sending it twice
    one payment), made when the page shows it: noted, so that each visitor served a kept
    page gets one of their own."""

    def made():
        token = str(uuid.uuid4())
        note_per_request_value("one-time-token", token)
        return token

    return SimpleLazyObject(made)


register_renewer("one-time-token", lambda request: str(uuid.uuid4()))


@contextmanager
def _noting():
    """The values noted (note_per_request_value) while the block renders."""
    noted = []
    token = _noted.set(noted)
    try:
        yield noted
    finally:
        _noted.reset(token)


def anonymous_page(view):
    """Serve ``view``'s GET to visitors without a session from this process's memory (see
    the module's description). Kept pages are served outside a transaction; everything
    else runs as before, in the request's transaction."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        key = _key(request)
        if key is None or cache_off("kept"):
            with transaction.atomic():
                return view(request, *args, **kwargs)
        entry = caches[CACHE_ALIAS].get(key)
        if entry is not None and entry["generation"] == request.tenant_generation:
            return _serve(request, entry)
        with _noting() as noted:
            with transaction.atomic():
                response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()  # a TemplateResponse (allauth's views): while values are noted
        entry = _entry(request, response, noted)
        if entry is not None:
            caches[CACHE_ALIAS].set(key, entry, timeout=TIMEOUT)
        return response

    return transaction.non_atomic_requests(wrapped)


def _key(request):
    """The kept page's key for ``request``, or None when it must get the view itself."""
    if (request.method != "GET" or request.META.get("QUERY_STRING")
            or getattr(request, "tenant", None) is None or getattr(request, "tenant_generation", None) is None
            or settings.SESSION_COOKIE_NAME in request.COOKIES or CookieStorage.cookie_name in request.COOKIES
            or "x-requested-with" in request.headers or "json" in request.headers.get("accept", "")
            or request.user.is_authenticated):
        return None
    # The port too: a page may name its own address (any port reaches the portal, so a flood
    # of ports only makes misses, each costing what the view always did). The script prefix:
    # every link of the page is built under it (settings.FORCE_SCRIPT_NAME fixes it).
    return _key_of("page", request.tenant.pk, request.scheme, request.get_host(), get_language(),
                   get_script_prefix(), request.path_info)


def _key_of(*parts):
    """One key of ``parts``: a digest of their texts, so that no part can run into the next
    and no key holds a character a cache refuses (a page's path, a URL name's colon)."""
    return f"{parts[0]}:{hashlib.md5(repr(tuple(map(str, parts))).encode()).hexdigest()}"


def _entry(request, response, noted):
    """What to keep of ``response``: the page with its holes cut out, or None when it must
    not be kept."""
    messages = getattr(request, "_messages", None)
    if (response.status_code != 200 or response.streaming or response.cookies
            or not response.get("Content-Type", "").startswith("text/html")
            or request.session.modified or (messages is not None and messages.added_new)
            or any(hasattr(response, mark) for mark in VIEW_HEADER_MARKS)):
        return None
    cut = _cut_holes(request, response.content.decode(response.charset), noted)
    if cut is None:
        return None
    return {
        "generation": request.tenant_generation,
        "headers": [(name, value) for name, value in response.items() if name.lower() != "content-length"],
        "content": cut[0],
        "holes": cut[1],
    }


# --- signed-in pages ---------------------------------------------------------------------

# A signed-in page is kept in the shared cache (Redis) for this long at most: enough for a
# customer's rounds of one visit (the overview, readings, pay and back), short enough that
# only the last minutes' visitors hold memory (a page is 4-35 KB; the fragments it is built
# from stay for an hour).
SIGNED_IN_TIMEOUT = 600


def signed_in_page(request, view):
    """``view()``, the GET of a page of the signed-in user of ``request``, kept whole with
    its holes (as anonymous_page keeps a page) in the shared cache, and served again while
    everything it was built from is unchanged.

    What a page may depend on, and what makes it stale (the rule of the fragments it is made
    of, applied to the whole page):
    - the versions the request read (portal.versions: the user's row and links, the
      accounts', the tenant's billing data, the unread answers…): the entry carries their
      tokens, and is served only while each is still current; a page whose request made a
      database query or bumped a version is not kept, so it was built from nothing else;
    - the tenant (the host's generation), the user, the session's data (the current account,
      what a wizard remembers: any change makes another key), the address with its query,
      the language and the tenant's day: all in the key;
    - code and templates: a deploy's pages are built afresh within ``SIGNED_IN_TIMEOUT``.
    Served as anonymous_page serves: the request's own CSRF token, nonce and one-time values
    put in. A request with messages to show, or asking for JSON, gets the view; so does any
    method but GET (a form sent back with its errors is never kept)."""
    key = _signed_in_key(request)
    if key is None or cache_off("kept"):
        return view()
    entry = versions.prefetch([key]).get(key)
    if entry is not None and _still_current(request, entry):
        return _serve(request, entry)
    with _noting() as noted, _counting_queries() as queries:
        response = view()
        if hasattr(response, "render") and not response.is_rendered:
            response.render()
    depends, bumped = versions.read_so_far()
    if not queries[0] and not bumped:
        entry = _entry(request, response, noted)
        if entry is not None:
            versions.put(key, {**entry, "depends": tuple(depends.items())}, timeout=SIGNED_IN_TIMEOUT)
    return response


def _signed_in_key(request):
    """The kept page's key for ``request`` of a signed-in user, or None when it must get the view."""
    user, session = request.user, request.session
    if (request.method != "GET" or not user.is_authenticated
            or getattr(request, "tenant", None) is None or getattr(request, "tenant_generation", None) is None
            or request.COOKIES.get(CookieStorage.cookie_name) or SessionStorage.session_key in session
            or "x-requested-with" in request.headers or "json" in request.headers.get("accept", "")):
        return None
    # SHA-256, not _key_of's MD5: part of what is hashed is the visitor's (the address, and
    # through forms the session), and the user's page must not be reachable by a collision.
    parts = (request.tenant.pk, user.pk, request.scheme, request.get_host(), get_language(), get_script_prefix(),
             request.get_full_path(), sorted(session.items()), request.tenant.today())
    return f"portal:page:{hashlib.sha256(repr(parts).encode()).hexdigest()}"


def _still_current(request, entry):
    if entry.get("generation") != request.tenant_generation:
        return False
    depends = entry["depends"]
    found = versions.prefetch([key for key, _token in depends])
    return all(found.get(key) == token for key, token in depends)


@contextmanager
def _counting_queries():
    """``[n]``: after the block, the number of database queries it made."""
    count = [0]

    def counted(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counted):
        yield count


def _serve(request, entry):
    response = HttpResponse(_fill_holes(request, entry["content"], entry["holes"]))
    for name, value in entry["headers"]:
        response[name] = value
    return response


def kept_fragment(request, name, vary, render):
    """A part of a page that is the same for many requests of a tenant (the header, the
    footer), from this process's memory: ``render()`` gives its HTML the first time for
    each ``vary`` (a tuple of what else it depends on: whether signed in, the page's name),
    and again after any change of the tenant; CSRF tokens and the nonce in it are the
    request's own. Not for anything of one user or one session."""
    generation = getattr(request, "tenant_generation", None)
    if generation is None or getattr(request, "tenant", None) is None or cache_off("kept"):
        return render()
    # No host: a kept part names no address of its own (links are paths, under the prefix).
    key = _key_of("fragment", request.tenant.pk, get_language(), get_script_prefix(), name, *vary)
    entry = caches[CACHE_ALIAS].get(key)
    if entry is not None and entry["generation"] == generation:
        return _fill_holes(request, entry["content"], entry["holes"])
    outer = _noted.get()
    with _noting() as noted:
        content = render()
    if outer is not None:
        outer.extend(noted)  # the page around it renews them, if it is kept
    cut = None if noted else _cut_holes(request, str(content), [])  # a renewed value: not kept here
    if cut is not None:
        caches[CACHE_ALIAS].set(key, {"generation": generation, "content": cut[0], "holes": cut[1]},
                                timeout=TIMEOUT)
    return content


def _cut_holes(request, content, noted):
    """``content`` with each per-request value replaced by a hole, and the holes' kinds; None
    when a value could stay behind."""
    if HOLE in content:
        return None
    found = CSRF_INPUT.findall(content)
    holes = []

    def cut(name, value):
        nonlocal content
        holes.append(name)
        content = content.replace(value, f"{HOLE}{len(holes) - 1}{HOLE}")

    for value in set(found):
        cut("csrf", value)
    nonce = getattr(request, "csp_nonce", None)
    if nonce and str(nonce) in content:  # evaluated (CheckableLazyObject), and in this text
        cut("nonce", str(nonce))
    for name, value in noted:
        if name not in _renewers or value not in content:
            return None
        cut(name, value)
    if _leaves_csrf_token(request, content):
        return None
    return content, holes


def _leaves_csrf_token(request, content):
    """Whether anything left in ``content`` would pass as this request's CSRF token or is its
    secret ({{ csrf_token }} in a meta tag, a data- attribute): kept, it would be every later
    visitor's."""
    secret = request.META.get("CSRF_COOKIE")
    if not secret:
        return False
    for candidate in CSRF_LIKE.findall(content):
        # Django's own comparison (private, unchanged since the masking of Django 4.1).
        if candidate == secret or (len(candidate) == 64 and _does_token_match(candidate, secret)):
            return True
    return False


def _fill_holes(request, content, holes):
    values = {}
    parts = content.split(HOLE)
    for position in range(1, len(parts), 2):
        number = int(parts[position])
        if number not in values:
            values[number] = _fill(request, holes[number])
        parts[position] = values[number]
    return "".join(parts)


def csrf_token(request):
    """This request's masked CSRF token, the same for every form of its page (the kept
    parts' and {% csrf_token %}'s, through portal.context_processors.csrf): masking one
    costs 30 µs of CPU; each still passes Django's check, as one token of a page's forms
    always did. A new one after the secret changes (a login rotates it)."""
    secret = request.META.get("CSRF_COOKIE")
    kept = getattr(request, "_portal_csrf_token", None)
    if kept is None or kept[0] != secret:
        token = get_token(request)
        request._portal_csrf_token = kept = (request.META.get("CSRF_COOKIE"), token)
    return kept[1]


def _fill(request, name):
    if name == "csrf":
        return csrf_token(request)
    if name == "nonce":
        return str(request.csp_nonce)
    return _renewers[name](request)
