"""After «Зарегистрировать клиента» (issue 24, item 8): the operator sees what the customer was
sent and what to tell them next, the deadline in the tenant's time zone, where the customer is
now and a new code at one press; not the raw user form. Staff of another tenant find nothing."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.factories import staff_user
from accounts.models import User
from portal.scoping import tenant_scope

pytestmark = pytest.mark.django_db


def text(page):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.content.decode().replace("\xa0", " ")))


@pytest.fixture
def registered(demo_tenants, tenant_client, admin_login, outbox):
    rosseti = demo_tenants["rosseti"]
    staff = tenant_client(rosseti)
    with tenant_scope(rosseti):
        admin_login(staff, User.objects.get(username="staff"))
    response = staff.post(reverse("admin:accounts_user_register_customer"), {
        "last_name": "Сидоров", "first_name": "Сидор", "email": "sidor@example.com", "phone": "+7 900 333-22-11",
    })
    with tenant_scope(rosseti):
        customer = User.objects.get(email="sidor@example.com")
    return rosseti, staff, response, customer


def test_the_operator_lands_on_what_happens_next(registered, outbox):
    rosseti, staff, response, customer = registered
    result = reverse("admin:accounts_user_registered_customer", args=[customer.pk])
    assert response.status_code == 302 and response["Location"] == result
    shown = text(staff.get(result))
    assert f"Личный кабинет клиента {customer.get_full_name()} зарегистрирован" in shown
    assert "SMS с кодом на номер +79003332211" in shown and "sidor@example.com" in shown
    assert f'href="http://rosseti.localhost:8000{reverse("accounts:signup_continue")}"' in staff.get(result).content.decode()
    deadline = timezone.localtime(customer.activation_deadline, rosseti.zone).strftime("%d.%m.%Y %H:%M")
    assert f"до {deadline}" in shown
    assert "Ждём код из SMS." in shown and 'value="Отправить новый код по SMS"' in staff.get(result).content.decode()
    assert 'name="password1"' not in staff.get(result).content.decode()  # not the raw user form
    assert outbox.messages(to="+79003332211")


def test_the_page_follows_the_customer_and_resends_the_code(registered, tenant_client, outbox):
    rosseti, staff, _response, customer = registered
    result = reverse("admin:accounts_user_registered_customer", args=[customer.pk])
    resent = staff.post(reverse("admin:accounts_user_changelist"), {
        "action": "send_new_staff_code", "_selected_action": [customer.pk], "index": 0}, follow=True)
    assert "Код недавно отправлен" in text(resent) or "Новый код отправлен" in text(resent)
    client = tenant_client(rosseti)
    client.post("/accounts/signup/continue/", {"phone": "+79003332211", "code": outbox.last_code("+79003332211")})
    assert "Код введён, ждём согласий." in text(staff.get(result))


def test_staff_of_another_tenant_find_nothing(registered, demo_tenants, tenant_client, admin_login):
    _rosseti, _staff, _response, customer = registered
    gaz = demo_tenants["gaz"]
    other = tenant_client(gaz)
    admin_login(other, staff_user(gaz, "clerk", group="staff"))
    assert other.get(reverse("admin:accounts_user_registered_customer", args=[customer.pk])).status_code == 404
