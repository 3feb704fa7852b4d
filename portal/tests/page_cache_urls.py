"""Views for portal/tests/test_page_cache.py: what a kept page must not be made of, and
signed-in pages built from a versioned value, the session and the request's tokens."""

from collections import Counter

from csp.decorators import csp_update
from django import forms
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.template import engines
from django.template.response import TemplateResponse
from django.urls import path
from django.views.decorators.clickjacking import xframe_options_exempt

from portal.captcha import SingleUseCaptchaField

from portal import versions
from portal.models import Tenant
from portal.page_cache import anonymous_page, one_time_token
from portal.pages import tenant_page
from portal.urls import urlpatterns as portal_urlpatterns

calls = Counter()


def page(body, status=200):
    return HttpResponse(f"<!doctype html><title>t</title>{body}", status=status)


def counted(view, *, kept=True):
    def wrapped(request):
        calls[request.path] += 1
        return view(request)

    return anonymous_page(wrapped) if kept else wrapped


class CaptchaForm(forms.Form):
    captcha = SingleUseCaptchaField()


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


def token_in_meta(request):
    return page(f'<meta name="csrf-token" content="{get_token(request)}">')


def secret_in_data(request):
    get_token(request)
    return page(f'<div data-secret="{request.META["CSRF_COOKIE"]}"></div>')


def adds_message(request):
    messages.info(request, "Только для этого посетителя")
    return page("")


@csp_update({"img-src": ["https://images.example"]})
def own_csp(request):
    return page("")


@xframe_options_exempt
def framed(request):
    return page("")


def template_captcha(request):
    """A TemplateResponse (allauth's login is one) with a captcha: rendered after the view."""
    return TemplateResponse(request, engines["django"].from_string("<form>{{ form.captcha }}</form>"),
                            {"form": CaptchaForm()})


def kept_part_with_captcha(request):
    template = engines["django"].from_string('{% load kept %}{% kept "part" %}{{ form.captcha }}{% endkept %}')
    return HttpResponse(template.render({"form": CaptchaForm()}, request))


def not_html(request):
    return JsonResponse({"token": get_token(request)})


def not_found(request):
    return page("", status=404)


def signed_in(view):
    def wrapped(request):
        calls[request.path] += 1
        return view(request)

    return tenant_page(wrapped, kept=True)


def mine(request):
    """The user's name (under the user's version), the session's pick and the page's tokens."""
    user = request.user
    name = versions.cached(f"tests:name:{user.pk}", scopes=[("accounts.user", user.pk)],
                           build=lambda: user.first_name)
    return HttpResponse(engines["django"].from_string(
        "<!doctype html><title>t</title><p>{{ name }} {{ pick }}</p>{% for m in messages %}<p>{{ m }}</p>{% endfor %}"
        '<form method="post">{% csrf_token %}<input type="hidden" name="token" value="{{ token }}"></form>'
    ).render({"name": name, "pick": request.session.get("pick", ""), "token": one_time_token()}, request))


def queries(request):
    return page(f"<p>{Tenant.objects.count()}</p>")


def bumps(request):
    versions.bump("accounts.user", [request.user.pk])
    return page("")


def pick(request):
    request.session["pick"] = request.POST["pick"]
    return redirect("/mine/")


def tell(request):
    messages.info(request, "Сохранено")
    return redirect("/mine/")


urlpatterns = [
    path("mine/", signed_in(mine)),
    path("queries/", signed_in(queries)),
    path("bumps/", signed_in(bumps)),
    path("pick/", pick),
    path("tell/", tell),
    path("kept/", counted(kept)),
    path("shows-host/", counted(shows_host)),
    path("writes-session/", counted(writes_session)),
    path("sets-cookie/", counted(sets_cookie)),
    path("token-in-meta/", counted(token_in_meta)),
    path("secret-in-data/", counted(secret_in_data)),
    path("adds-message/", counted(adds_message)),
    path("own-csp/", counted(own_csp)),
    path("framed/", counted(framed)),
    path("template-captcha/", counted(template_captcha)),
    path("kept-part-with-captcha/", counted(kept_part_with_captcha, kept=False)),
    path("not-html/", counted(not_html)),
    path("not-found/", counted(not_found)),
    *portal_urlpatterns,  # what the middleware reverses (the admin's address, the login page)
]
