"""The outbox in the admin, in Chromium at 360 px (issue 25): gaz's demo staff member filters
the messages «не отправлено», reads why each was given up on, and sends one again."""

import os
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from portal.factories import OutgoingMessageFactory
from portal.models import OutgoingMessage
from portal.scoping import scopes_disabled

from .browser import assert_fits, axe_violations, staff_log_in, tenant


def test_staff_find_a_message_given_up_on_and_send_it_again(portal, axe_phone, tmp_path):
    gaz = tenant("gaz")
    failed = OutgoingMessageFactory(tenant=gaz, to="+79005550101", status="failed", attempts=18,
                                    error="попытка 18: SmsError: шлюз не отвечает (503)")
    OutgoingMessageFactory(tenant=gaz, to="+79005550102", status="failed", has_code=True,
                           expires_at=timezone.now() - timedelta(minutes=5),
                           error="отправка прервалась (обработчик остановился)")
    OutgoingMessageFactory(tenant=gaz, to="+79005550103", status="sent")
    page = axe_phone  # the site's CSP is checked on its own pages (test_content_security_policy)
    staff_log_in(page, portal, "gaz")
    page.goto(portal.url("gaz", "/admin/portal/outgoingmessage/"))
    page.get_by_role("link", name="не отправлено").first.click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#result_list")).to_contain_text("попытка 18: SmsError: шлюз не отвечает (503)")
    assert_fits(page)
    # Django's own breadcrumbs (links told apart by colour only) are the admin's theme, on
    # every admin page; anything of this page's own is not allowed.
    assert [violation for violation in axe_violations(page) if ".breadcrumbs" not in violation] == []
    page.screenshot(path=str(tmp_path / "outbox-failed.png"), full_page=True)
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=os.path.join(os.environ["SCREENSHOT_DIR"], "outbox-failed.png"), full_page=True)

    rows.filter(has_text="+79005550101").locator("input[type=checkbox]").check()
    rows.filter(has_text="+79005550102").locator("input[type=checkbox]").check()
    page.locator("select[name=action]").select_option("resend")
    page.get_by_role("button", name="Выполнить").click()
    expect(page.locator(".messagelist")).to_contain_text("Сообщение снова в очереди.")
    expect(page.locator(".messagelist")).to_contain_text("Сообщение не отправить ещё раз")
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=os.path.join(os.environ["SCREENSHOT_DIR"], "outbox-resent.png"), full_page=True)
    with scopes_disabled():
        # Eager in the demo: queued again, then sent by the task at once.
        assert OutgoingMessage.objects.get(pk=failed.pk).status == "sent"
