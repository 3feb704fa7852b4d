"""152-FZ in Chromium on a 360-px phone: mef's demo consumer downloads «мои данные» (the ZIP
is read back: their profile and linked accounts, and no other consumer's login), then asks
to delete the account: a wrong password is refused in the error summary, the right one files
the request, which they see waiting for a decision and cancel. Both pages are checked with
axe-core (serious and critical findings; CSP bypassed to inject it) and for horizontal
scrolling.
"""

import io
import json
import zipfile

import pytest
from playwright.sync_api import expect

from accounts.models import User
from portal.scoping import scopes_disabled
from privacy.models import DeletionRequest

from .browser import (
    AXE,
    PASSWORD,
    PHONE,
    assert_fits,
    axe_violations,
    linked_accounts,
    log_in_as_demo_consumer,
    main,
    new_page,
)


@pytest.fixture
def phone(browser):
    if not AXE.exists():
        pytest.skip(f"{AXE} is missing: `make axe` (run by `make test`) installs it")
    page = new_page(browser, PHONE, bypass_csp=True)  # downloads accepted; axe injected
    yield page
    page.context.close()


def test_download_my_data_and_ask_for_deletion(portal, phone):
    login = log_in_as_demo_consumer(phone, portal, "mef")

    phone.goto(portal.url("mef", "/privacy/data/"))
    expect(main(phone).get_by_role("heading", level=1)).to_have_text("Скачать мои данные")
    assert_fits(phone)
    assert axe_violations(phone) == []
    with phone.expect_download() as downloaded:
        main(phone).get_by_role("button", name="Скачать архив").click()
    download = downloaded.value
    assert download.suggested_filename.endswith(".zip")
    bundle = zipfile.ZipFile(io.BytesIO(download.path().read_bytes()))
    assert {"data.json", "profile.csv", "linked_accounts.csv"} <= set(bundle.namelist())
    sections = json.loads(bundle.read("data.json"))["sections"]
    assert sections["profile"][0]["login"] == login
    assert sections["profile"][0]["last_name"] == "Соколова"
    assert sorted(row["account_number"] for row in sections["linked_accounts"]) == sorted(
        account.number for account in linked_accounts("mef"))
    everything = b"".join(bundle.read(name) for name in bundle.namelist()).decode("utf-8")
    with scopes_disabled():
        others = list(User.objects.exclude(username=login).exclude(email="").values_list("email", flat=True))
    assert others and not any(email in everything for email in others)

    main(phone).get_by_role("link", name="Удалить учётную запись").click()
    expect(main(phone).get_by_role("heading", level=1)).to_have_text("Удаление учётной записи")
    assert_fits(phone)
    assert axe_violations(phone) == []
    phone.get_by_label("Пароль", exact=True).fill("not-my-password")
    main(phone).get_by_role("button", name="Отправить запрос на удаление").click()
    expect(phone.locator("#error-summary")).to_contain_text("Пароль введён неверно.")
    expect(phone.locator("#error-summary")).to_be_focused()
    phone.get_by_label("Пароль", exact=True).fill(PASSWORD)
    phone.get_by_label("Причина (необязательно)").fill("Переезжаю")
    main(phone).get_by_role("button", name="Отправить запрос на удаление").click()
    expect(main(phone)).to_contain_text("ожидает решения")
    assert_fits(phone)
    with scopes_disabled():
        request = DeletionRequest.objects.get(user__username=login)
    assert (request.status, request.reason) == ("requested", "Переезжаю")

    main(phone).get_by_role("button", name="Отменить запрос").click()
    expect(phone.get_by_role("status").first).to_contain_text("Запрос на удаление учётной записи отменён.")
    with scopes_disabled():
        assert DeletionRequest.objects.get(pk=request.pk).status == "canceled"
