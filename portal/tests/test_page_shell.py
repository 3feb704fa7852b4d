"""The page shell (portal.pages): a tenant's page is a 404 on the platform's host, asks a
visitor to sign in, and sends a user a view refuses for now (PageRedirect) where they can
earn the page; the apps' gates stop a signed-in customer on every page but the ungated ones;
the menu is assembled from the apps' entries, in their order; a request with a session
sees its user unwrapped."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import Http404, HttpResponse
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject

from accounts.factories import UserFactory
from portal import pages
from portal.navigation import main_menu
from portal.middleware import ResolvedUserMiddleware
from portal.pages import PageGateMiddleware, PageRedirect, signed_in_customer, tenant_page


def request_to(path, *, tenant, user):
    request = RequestFactory().get(path)
    request.tenant, request.user = tenant, user
    request._messages = CookieStorage(request)
    return request


@tenant_page
def signed_in_page(request):
    return HttpResponse("mine")


@tenant_page(signed_in=False)
def open_page(request):
    if request.GET.get("refuse"):
        raise PageRedirect("/prove/", "Сначала подтвердите.")
    return HttpResponse("anyone's")


@pytest.mark.django_db
def test_a_tenants_page_is_a_404_on_the_platforms_host(tenants):
    user = UserFactory(tenant=tenants[0])
    for view in (signed_in_page, open_page):
        with pytest.raises(Http404):
            view(request_to("/page/", tenant=None, user=user))


@pytest.mark.django_db
def test_a_visitor_is_asked_to_sign_in_unless_the_page_is_open_to_everyone(tenants):
    alpha = tenants[0]
    response = signed_in_page(request_to("/page/", tenant=alpha, user=AnonymousUser()))
    assert response.status_code == 302 and response.url == "/accounts/login/?next=/page/"
    assert open_page(request_to("/page/", tenant=alpha, user=AnonymousUser())).content == b"anyone's"
    assert signed_in_page(request_to("/page/", tenant=alpha, user=UserFactory(tenant=alpha))).content == b"mine"


@pytest.mark.django_db
def test_a_page_refused_for_now_says_why_and_sends_the_user_on(tenants):
    request = request_to("/page/?refuse=1", tenant=tenants[0], user=AnonymousUser())
    response = open_page(request)
    assert response.status_code == 302 and response.url == "/prove/"
    assert [str(message) for message in get_messages(request)] == ["Сначала подтвердите."]


@pytest.mark.django_db
def test_the_gates_are_for_signed_in_customers_of_a_tenant_and_not_for_static_files(tenants, monkeypatch):
    alpha = tenants[0]
    monkeypatch.setattr(pages, "page_gates", lambda: (
        lambda request: "/sign/" if signed_in_customer(request) and request.path != "/sign/" else None,
    ))
    shell = PageGateMiddleware(lambda request: HttpResponse("page"))
    customer, staff = UserFactory(tenant=alpha), UserFactory(tenant=alpha, is_staff=True)
    assert shell(request_to("/support/", tenant=alpha, user=customer)).url == "/sign/"
    assert shell(request_to("/sign/", tenant=alpha, user=customer)).content == b"page"
    for path in ("/static/css/portal.css", "/dev/outbox/"):
        assert shell(request_to(path, tenant=alpha, user=customer)).content == b"page"
    for user in (staff, AnonymousUser()):
        assert shell(request_to("/support/", tenant=alpha, user=user)).content == b"page"
    assert shell(request_to("/", tenant=None, user=customer)).content == b"page"


MENU_FOR_VISITORS = [
    ("Главная", "/"), ("Поддержка", "/support/"), ("Вход", "/accounts/login/"), ("Регистрация", "/accounts/signup/"),
]
# What people do here, one entry per page: the home, paying, readings, invoices, appeals, the
# profile («Мои подписки» is one of its pages), support.
MENU_SIGNED_IN = [
    ("Главная", "/overview/"), ("Оплата", "/pay/"), ("Показания", "/readings/"), ("Счета", "/invoices/"),
    ("Обращения", "/appeals/"), ("Профиль", "/accounts/profile/"), ("Поддержка", "/support/"),
]
# A grid company's applicants have no personal accounts: nothing to pay or read.
MENU_SIGNED_IN_WITHOUT_ACCOUNTS = [
    ("Главная", "/overview/"), ("Обращения", "/appeals/"), ("Профиль", "/accounts/profile/"),
    ("Поддержка", "/support/"),
]


@pytest.mark.django_db
def test_the_menu_is_the_apps_entries_in_their_order(tenants):
    alpha = tenants[0]

    def menu(tenant, user):
        return [(str(item.label), item.url) for item in main_menu(SimpleNamespace(tenant=tenant, user=user))]

    assert menu(alpha, AnonymousUser()) == MENU_FOR_VISITORS
    assert menu(alpha, UserFactory(tenant=alpha)) == MENU_SIGNED_IN
    alpha.policy.account_linking = alpha.policy.AccountLinking.NONE
    assert menu(alpha, UserFactory(tenant=alpha)) == MENU_SIGNED_IN_WITHOUT_ACCOUNTS
    assert menu(None, AnonymousUser()) == []


@pytest.mark.django_db
def test_a_request_with_a_session_sees_its_user_unwrapped_and_verified_by_otp(tenants):
    user = UserFactory(tenant=tenants[0])
    seen = []
    middleware = ResolvedUserMiddleware(lambda request: seen.append(request.user) or HttpResponse())
    request = RequestFactory().get("/", HTTP_COOKIE="sessionid=x")
    lazy_user = SimpleLazyObject(lambda: user)
    lazy_user.is_verified = lambda: False  # what django-otp's wrapper puts on the user
    request.user = SimpleLazyObject(lambda: lazy_user)  # django-otp's wrapper around Django's
    middleware(request)
    assert seen[-1] is user and seen[-1].is_verified() is False
    # Without a session the user stays lazy: an anonymous page that never asks builds nothing.
    request = RequestFactory().get("/")
    request.user = SimpleLazyObject(AnonymousUser)
    middleware(request)
    assert isinstance(seen[-1], SimpleLazyObject)
