"""«Скачать мои данные»: the archive holds the consumer's own records, nothing of another
user's or another tenant's, masks what basic access hides, is formula-safe, and is limited."""

import csv
import io
import json
import zipfile
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import AccountLink
from meters.factories import exchange_rows
from portal.scoping import tenant_scope
from privacy.exports import csv_cell, section_csv

URL = "/privacy/data/"


def download(tenant_client, person, tenant):
    client = tenant_client(tenant)
    client.force_login(person.user)
    response = client.post(URL)
    assert response.status_code == 200, response.status_code
    return response


def archive_of(response):
    raw = b"".join(response.streaming_content)
    bundle = zipfile.ZipFile(io.BytesIO(raw))
    members = {name: bundle.read(name) for name in bundle.namelist()}
    return raw, members


def everything(raw, members):
    """The archive's bytes and each member decompressed, as one text to search."""
    return raw.decode("latin-1") + "\n".join(content.decode("utf-8") for content in members.values())


def rows_of(members, name):
    text = members[name].decode("utf-8")
    assert text.startswith("\ufeff"), "a BOM, for Excel"
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))


def test_the_url_name_is_the_one_the_profile_links():
    assert reverse("privacy:data") == URL
    assert reverse("privacy:delete_request") == "/privacy/delete/"


def test_the_archive_holds_the_consumers_records_and_nothing_else(world, tenant_client):
    consumer, alpha = world["consumer"], world["alpha"]
    response = download(tenant_client, consumer, alpha)
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    assert ".zip" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]

    raw, members = archive_of(response)
    expected = {"data.json", "profile.csv", "consents.csv", "linked_accounts.csv", "pin_requests.csv",
                "readings.csv", "payments.csv", "appeals.csv", "appeal_messages.csv", "appeal_attachments.csv"}
    assert expected <= set(members)
    data = json.loads(members["data.json"])["sections"]
    profile = data["profile"][0]
    assert (profile["email"], profile["phone"], profile["last_name"]) == (
        "consumer@example.com", "+79001110001", "Фамилия-consumer")
    assert data["consents"][0]["document_version"] == 3 and data["consents"][0]["withdrawn_at"] is None
    assert [row["account_number"] for row in data["linked_accounts"]] == [consumer.account.number]
    assert data["linked_accounts"][0]["holder_name"] == consumer.account.holder_name
    assert [row["value"] for row in data["readings"]] == [str(consumer.reading.value)]
    assert [row["number"] for row in data["payments"]] == [str(consumer.payment.public_id)]
    assert [row["number"] for row in data["appeals"]] == [consumer.appeal.number]
    assert "Текст от consumer" in [row["text"] for row in data["appeal_messages"]]
    assert [row["file_name"] for row in data["appeal_attachments"]] == ["заявление.pdf"]
    assert rows_of(members, "readings.csv")[0]["meter_serial"] == consumer.reading.meter.serial

    text = everything(raw, members)
    for secret in consumer.secrets:
        assert secret in text, secret
    for other in (world["family"], world["stranger"]):
        for secret in other.secrets:
            assert secret not in text, f"another person's {secret!r} is in the archive"


def test_a_basic_link_shows_no_holder_or_address(world, tenant_client):
    consumer, alpha = world["consumer"], world["alpha"]
    with tenant_scope(alpha):
        hidden = exchange_rows(world["supplier"], "555000111")
        hidden["account"].holder_name, hidden["account"].address = "Скрытый Владелец", "ул. Скрытая, 9"
        hidden["account"].save()
        AccountLink.objects.create(tenant=alpha, user=consumer.user, account=hidden["account"],
                                   access=AccountLink.Access.BASIC)
    raw, members = archive_of(download(tenant_client, consumer, alpha))
    text = everything(raw, members)
    assert "555000111" in text  # the link itself is the person's
    assert "Скрытый Владелец" not in text and "ул. Скрытая" not in text
    assert "INV-555000111" not in text  # nor the account's history
    basic = [row for row in json.loads(members["data.json"])["sections"]["linked_accounts"]
             if row["account_number"] == "555000111"]
    assert basic[0]["holder_name"] is None and basic[0]["access"] == "базовый"


def test_text_that_looks_like_a_formula_stays_text_in_csv(world, tenant_client):
    consumer, alpha = world["consumer"], world["alpha"]
    with tenant_scope(alpha):
        consumer.user.first_name = '=HYPERLINK("http://evil.example","x")'
        consumer.user.save()
    raw, members = archive_of(download(tenant_client, consumer, alpha))
    profile = rows_of(members, "profile.csv")[0]
    assert profile["first_name"] == '\'=HYPERLINK("http://evil.example","x")'
    assert profile["phone"] == "'+79001110001"
    # JSON keeps the value as it is.
    assert json.loads(members["data.json"])["sections"]["profile"][0]["first_name"].startswith("=HYPERLINK")


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1+2", "@SUM(A1)", "\tx", "\rx"])
def test_every_formula_start_is_neutralised(value):
    assert csv_cell(value) == "'" + value
    assert section_csv([{"cell": value}]).splitlines()[1].lstrip('"').startswith("'")


def test_numbers_and_plain_text_are_written_as_they_are():
    assert csv_cell(Decimal("-12.50")) == "-12.50"
    assert csv_cell(-3) == "-3"
    assert csv_cell("Рязань") == "Рязань"
    assert csv_cell(None) == "" and csv_cell(True) == "да"


def test_downloads_are_limited_per_user(world, tenant_client):
    consumer, alpha = world["consumer"], world["alpha"]
    client = tenant_client(alpha)
    client.force_login(consumer.user)
    for _attempt in range(3):
        assert client.post(URL).status_code == 200
    refused = client.post(URL)
    assert refused.status_code == 429
    assert "Попробуйте позже" in refused.content.decode()
    # Another user is not held back by the consumer's downloads.
    other = tenant_client(alpha)
    other.force_login(world["family"].user)
    assert other.post(URL).status_code == 200


def test_the_page_explains_and_needs_a_login(world, tenant_client):
    alpha = world["alpha"]
    anonymous = tenant_client(alpha).get(URL)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert tenant_client(alpha).post(URL).status_code == 302
    client = tenant_client(alpha)
    client.force_login(world["consumer"].user)
    page = client.get(URL).content.decode()
    assert "Скачать архив" in page and "точка с запятой" in page


def test_another_tenants_host_does_not_serve_the_consumer(world, tenant_client):
    client = tenant_client(world["beta"])
    client.force_login(world["consumer"].user)
    response = client.post(URL)
    # The session's user is not found at beta's host: a visitor, sent to log in.
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_two_apps_exporting_one_section_is_a_mistake(monkeypatch):
    from types import SimpleNamespace

    from django.core.exceptions import ImproperlyConfigured

    from privacy import registry

    one = SimpleNamespace(__name__="one.privacy", export_user_data=lambda user: {"rows": []})
    two = SimpleNamespace(__name__="two.privacy", export_user_data=lambda user: {"rows": []})
    monkeypatch.setattr(registry, "privacy_modules", lambda: [one, two])
    with pytest.raises(ImproperlyConfigured, match="two.privacy"):
        registry.export_sections(None)


def test_the_apps_are_found_in_installed_apps_order():
    from privacy.registry import privacy_modules

    names = [module.__name__ for module in privacy_modules()]
    assert names[:5] == ["accounts.privacy", "billing.privacy", "meters.privacy", "payments.privacy",
                         "appeals.privacy"]
