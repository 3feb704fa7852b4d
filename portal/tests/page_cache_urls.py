"""Views for portal/tests/test_page_cache.py: what a kept page must not be made of."""

from collections import Counter

from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.urls import path

from portal.page_cache import anonymous_page
from portal.urls import urlpatterns as portal_urlpatterns

calls = Counter()


def page(body, status=200):
    return HttpResponse(f"<!doctype html><title>t</title>{body}", status=status)


def counted(view):
    def wrapped(request):
        calls[request.path] += 1
        return view(request)

    return anonymous_page(wrapped)


def kept(request):
    return page(f'<input type="hidden" name="csrfmiddlewaretoken" value="{get_token(request)}">')


def shows_host(request):
    return page(f"<p>{request.get_host()}</p>")


def writes_session(request):
    request.session["seen"] = True
    return page("")


def sets_cookie(request):
    response = page("")
    response.set_cookie("seen", "1")
    return response


def stray_token(request):
    return page(f'<meta name="csrfmiddlewaretoken" content="{get_token(request)}">')


def not_html(request):
    return JsonResponse({"token": get_token(request)})


def not_found(request):
    return page("", status=404)


urlpatterns = [
    path("kept/", counted(kept)),
    path("shows-host/", counted(shows_host)),
    path("writes-session/", counted(writes_session)),
    path("sets-cookie/", counted(sets_cookie)),
    path("stray-token/", counted(stray_token)),
    path("not-html/", counted(not_html)),
    path("not-found/", counted(not_found)),
    *portal_urlpatterns,  # what the middleware reverses (the admin's address, the login page)
]
