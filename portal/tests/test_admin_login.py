"""The admin's login form (portal.admin_site.StaffLoginForm) under django-otp's throttle."""

import re
from datetime import timedelta

from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import demo as accounts_demo
from accounts.factories import demo_staff_code
from portal.scoping import scopes_disabled


def wrong_code():
    return "000000" if demo_staff_code() != "000000" else "111111"


def admin_login(client, code):
    return client.post("/admin/login/", {
        "username": accounts_demo.STAFF_USERNAME, "password": accounts_demo.STAFF_PASSWORD, "otp_token": code,
    })


def test_a_throttled_code_gets_a_russian_message_with_the_wait(demo_tenants, tenant_client, settings):
    # django-otp doubles the wait after each wrong code: factor * 2**(failures - 1) seconds.
    settings.OTP_TOTP_THROTTLE_FACTOR = 30
    client = tenant_client(demo_tenants["gaz"])
    assert "Неверный или устаревший код" in admin_login(client, wrong_code()).content.decode()

    response = admin_login(client, demo_staff_code())

    assert response.status_code == 200
    page = response.content.decode()
    match = re.search(r"Слишком много неверных кодов\. Подождите (\d+) с и попробуйте снова\.", page)
    assert match, page
    assert 1 <= int(match.group(1)) <= 30
    assert client.get("/admin/").status_code == 302  # still not logged in


def test_the_throttle_ends_and_the_right_code_opens_the_admin(demo_tenants, tenant_client, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 30
    client = tenant_client(demo_tenants["gaz"])
    admin_login(client, wrong_code())
    with scopes_disabled():
        device = TOTPDevice.objects.get(user__tenant=demo_tenants["gaz"], user__username=accounts_demo.STAFF_USERNAME)
    device.throttling_failure_timestamp -= timedelta(seconds=31)
    device.save()
    assert admin_login(client, demo_staff_code()).status_code == 302


def test_django_otps_own_throttle_message_formats_with_what_it_passes():
    from django.utils import timezone
    from django_otp.models import VerifyNotAllowed

    from portal.admin_site import StaffLoginForm

    extra = {"reason": VerifyNotAllowed.N_FAILED_ATTEMPTS, "failure_count": 3, "locked_until": timezone.now()}
    assert "Слишком много неверных кодов" in StaffLoginForm.otp_error_messages["n_failed_attempts"] % extra
