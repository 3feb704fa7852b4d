"""Paying through the sandbox: the flows, and what must hold whatever the provider, the
network or the payer does (issue 11, item 6)."""

import base64
import json
import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from billing.factories import link
from billing.models import Account, BillingPayment
from meters.factories import make_account
from payments import services, tasks
from payments.providers.sandbox import remote as sandbox
from payments.factories import make_shop, notify, pay_through, payment_of, start, to_sandbox
from payments.models import Payment, PaymentEvent, SandboxPayment
from portal.exchange.signals import billing_data_changed
from portal.scoping import scopes_disabled
from portal.testing import text_of


@pytest.mark.django_db
def test_paying_the_debt_charges_what_the_server_says_and_the_provider_decides(payer, outbox):
    user, client, account, _shop = payer
    assert "ожидает учёта" not in text_of(client.get("/overview/"))  # cached until the payment succeeds
    page = text_of(client.get(f"/personal/{account.pk}/pay/"))
    assert "Задолженность 1 500,00 ₽" in page

    refused, _token = start(client, account, kind="debt", amount="1.00")  # which one was meant?
    assert "выберите «Другую сумму»" in text_of(refused)
    response, token = start(client, account, kind="debt")
    payment = payment_of(token)  # the debt's amount is the server's
    assert (payment.amount, payment.kind, payment.status) == (Decimal("1500.00"), "debt", "created")
    confirm = text_of(client.get(response["Location"]))
    for shown in (account.number, "I-23185952-0", "Ноябрь 2026", "1 500,00 ₽"):
        assert shown in confirm
    # Guide 003: the contract, or, where billing has none, that the account's number stands for it.
    assert "<dt>Договор</dt><dd>нет в расчётах: оплата по номеру лицевого счёта</dd>" in confirm
    with scopes_disabled():
        Account.objects.filter(pk=account.pk).update(contract_number="Д-17/2026")
    assert "<dt>Договор</dt><dd>№ Д-17/2026</dd>" in text_of(client.get(response["Location"]))

    sandbox_page = to_sandbox(client, payment)
    assert "Тестовая касса" in text_of(client.get(sandbox_page))
    assert payment_of(token).status == "pending"
    returned = client.post(sandbox_page, {"outcome": "success"})
    assert returned["Location"].endswith(f"/payments/{token}/")

    payment = payment_of(token)
    assert payment.status == "succeeded" and payment.succeeded_at
    assert "Оплата прошла" in text_of(client.get(f"/payments/{token}/"))
    [receipt] = outbox.messages(user.email)
    assert "1 500,00 ₽" in receipt.text.replace("\xa0", " ") and payment.provider_payment_id in receipt.text

    overview = text_of(client.get("/overview/"))
    today = account.tenant.today()
    assert f"Оплачено 1 500,00 ₽ {today:%d.%m}, ожидает учёта" in overview and "К оплате 0 ₽" in overview
    with scopes_disabled():  # billing reports it back with the provider's id
        BillingPayment.objects.create(tenant=account.tenant, account=account, paid_at=timezone.now(),
                                      amount=payment.amount, external_id=payment.provider_payment_id)
    billing_data_changed.send(sender=None, tenant=account.tenant, kinds={"payments"})  # as the import does
    assert "ожидает учёта" not in text_of(client.get("/overview/"))
    history = text_of(client.get(f"/personal/{account.pk}/payments/"))
    assert "1 500,00" in history and "оплачен" in history


@pytest.mark.django_db
@pytest.mark.parametrize(("typed", "message"), [
    ("0", "Сумма должна быть больше нуля."),
    ("-5", "Сумма должна быть больше нуля."),
    ("10,555", "Не больше двух знаков после запятой"),
    ("100000000", "Сумма больше 500 000 ₽"),
    ("1e9", "Сумма больше 500 000 ₽"),
    ("NaN", "Введите сумму числом"),
    ("пять", "Введите сумму числом"),
    ("", "Введите сумму."),
])
def test_a_typed_amount_is_checked_with_a_clear_message(payer, typed, message):
    _user, client, account, _shop = payer
    response, _token = start(client, account, kind="amount", amount=typed)
    assert response.status_code == 200
    assert message in text_of(response)
    with scopes_disabled():
        assert not Payment.objects.exists()


@pytest.mark.django_db
def test_an_amount_with_kopecks_reaches_the_provider_exactly(payer):
    _user, client, account, _shop = payer
    payment = pay_through(client, account, kind="amount", amount="1 234,56")
    assert payment.amount == Decimal("1234.56") and payment.status == "succeeded"
    with scopes_disabled():
        assert SandboxPayment.objects.get().amount_kopecks == 123456


@pytest.mark.django_db
def test_a_double_click_or_two_tabs_make_one_payment(payer):
    _user, client, account, _shop = payer
    _response, token = start(client, account)
    again, _token = start(client, account, token=token)
    assert again["Location"].endswith(f"/payments/{token}/confirm/")
    payment = payment_of(token)
    first, second = to_sandbox(client, payment), to_sandbox(client, payment)
    assert first == second
    with scopes_disabled():
        assert Payment.objects.count() == 1 and SandboxPayment.objects.count() == 1


@pytest.mark.django_db
def test_a_declined_payment_says_why_and_can_be_tried_again(payer, outbox):
    user, client, account, _shop = payer
    payment = pay_through(client, account, outcome="decline")
    assert (payment.status, payment.failure_reason) == ("canceled", "Недостаточно средств на карте")
    page = text_of(client.get(f"/payments/{payment.public_id}/"))
    assert "Платёж не оплачен" in page and "Недостаточно средств на карте" in page and "Оплатить снова" in page
    assert outbox.messages(user.email) == []


@pytest.mark.django_db
def test_three_d_secure_passes_with_the_code_and_fails_without(payer):
    _user, client, account, _shop = payer
    for code, status in (("99999", "canceled"), ("12345", "succeeded")):
        response, token = start(client, account)
        page = to_sandbox(client, payment_of(token))
        assert "Проверка 3-D Secure" in text_of(client.post(page, {"outcome": "3ds"}))
        client.post(page, {"outcome": "3ds-code", "code": code})
        assert payment_of(token).status == status


@pytest.mark.django_db
def test_the_return_page_never_marks_paid_by_itself_and_an_abandoned_payment_expires(payer):
    _user, client, account, _shop = payer
    payment = pay_through(client, account, outcome="abandon")
    assert payment.status == "pending"
    page = text_of(client.get(f"/payments/{payment.public_id}/"))
    assert "Проверяем оплату" in page and 'http-equiv="refresh"' in page
    assert payment_of(payment.public_id).status == "pending"

    with scopes_disabled():
        SandboxPayment.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        Payment.objects.update(pending_at=timezone.now() - timedelta(minutes=11), checked_at=None)
    tasks.refresh_stale_payments()
    payment = payment_of(payment.public_id)
    assert (payment.status, payment.failure_reason) == ("canceled", "Время на оплату истекло")


@pytest.mark.django_db
def test_a_provider_error_with_an_unknown_result_is_resolved_by_asking(payer, outbox):
    user, client, account, _shop = payer
    response, token = start(client, account)
    page = to_sandbox(client, payment_of(token))
    assert client.post(page, {"outcome": "error"}).status_code == 500
    assert payment_of(token).status == "pending"  # nobody told the portal
    assert "Оплата прошла" in text_of(client.get(f"/payments/{token}/"))  # the return page asked
    assert len(outbox.messages(user.email)) == 1


@pytest.mark.django_db
def test_a_lost_notification_is_repaired_by_the_periodic_task(payer, monkeypatch):
    _user, client, account, _shop = payer
    monkeypatch.setattr(sandbox, "_schedule_notifications", lambda payment, event: None)  # lost on the way
    payment = pay_through(client, account)
    assert payment.status == "pending"
    tasks.refresh_stale_payments()
    assert payment_of(payment.public_id).status == "pending"  # not stale yet: not asked
    with scopes_disabled():
        Payment.objects.update(pending_at=timezone.now() - timedelta(minutes=11))
    tasks.refresh_stale_payments()
    assert payment_of(payment.public_id).status == "succeeded"


@pytest.mark.django_db
def test_duplicated_and_out_of_order_notifications_apply_once(payer, settings, outbox):
    user, client, account, _shop = payer
    settings.PAYMENT_SANDBOX_DUPLICATE_SHARE = 1
    settings.PAYMENT_SANDBOX_REORDER_SHARE = 1
    payment = pay_through(client, account)
    assert payment.status == "succeeded"
    with scopes_disabled():
        events = {event.event: event.deliveries for event in PaymentEvent.objects.all()}
    assert events == {"payment.succeeded": 2, "payment.waiting_for_capture": 1}
    assert len(outbox.messages(user.email)) == 1


@pytest.mark.django_db
def test_a_replayed_notification_changes_nothing(payer, outbox):
    user, client, account, shop = payer
    payment = pay_through(client, account)
    with scopes_disabled():
        row = SandboxPayment.objects.get()
    body = sandbox.notification_body(row, "payment.succeeded")
    for _attempt in range(3):
        assert notify(client, shop, body).status_code == 200
    assert payment_of(payment.public_id).succeeded_at == payment.succeeded_at
    assert len(outbox.messages(user.email)) == 1


@pytest.mark.django_db
def test_forged_and_unsigned_notifications_are_refused(payer, monkeypatch):
    _user, client, account, shop = payer
    monkeypatch.setattr(sandbox, "_schedule_notifications", lambda payment, event: None)
    payment = pay_through(client, account, outcome="abandon")
    with scopes_disabled():
        row = SandboxPayment.objects.get()
    row.status = "succeeded"
    body = sandbox.notification_body(row, "payment.succeeded")
    assert notify(client, shop, body, signature=False).status_code == 403
    assert notify(client, shop, body, signature=sandbox.sign("another-secret", body)).status_code == 403
    assert notify(client, shop, body, signature=sandbox.sign(shop.secret, body + b" ")).status_code == 403
    assert notify(client, shop, b"not json", signature=sandbox.sign(shop.secret, b"not json")).status_code == 403
    with scopes_disabled():
        assert not PaymentEvent.objects.exists()
    assert payment_of(payment.public_id).status == "pending"
    # Even a genuine notification only makes the portal ask: the sandbox says pending.
    assert notify(client, shop, body).status_code == 200
    assert payment_of(payment.public_id).status == "pending"


@pytest.mark.django_db
def test_a_notification_for_another_tenants_payment_is_refused(payer, gas, tenant_client):
    _user, client, account, shop = payer
    alpha, beta, _supplier = gas
    payment = pay_through(client, account, outcome="abandon")
    from billing.factories import SupplierFactory

    other_shop = make_shop(SupplierFactory(tenant=beta), secret="beta-secret")
    with scopes_disabled():
        row = SandboxPayment.objects.get(pk=payment.provider_payment_id)
    body = sandbox.notification_body(row, "payment.succeeded")
    beta_client = tenant_client(beta)
    # beta's own shop, correctly signed by it: the payment is not one of that shop's
    assert notify(beta_client, other_shop, body).status_code == 403
    # alpha's shop reached on beta's host: not beta's
    assert notify(beta_client, shop, body).status_code == 404
    with scopes_disabled():
        assert not PaymentEvent.objects.exists()


@pytest.mark.django_db
def test_payment_pages_are_their_payers_own(payer, gas, tenant_client):
    from accounts.factories import UserFactory

    _user, client, account, _shop = payer
    alpha, beta, _supplier = gas
    payment = pay_through(client, account, outcome="abandon")
    stranger = tenant_client(alpha)
    stranger.force_login(UserFactory(tenant=alpha))
    for path in (f"/payments/{payment.public_id}/", f"/payments/{payment.public_id}/confirm/",
                 f"/personal/{account.pk}/pay/", f"/personal/{account.pk}/payments/"):
        assert stranger.get(path).status_code == 404
    other_tenant = tenant_client(beta)
    other_tenant.force_login(UserFactory(tenant=beta))
    assert other_tenant.get(f"/payments/{payment.public_id}/").status_code == 404


@pytest.mark.django_db
def test_a_basic_link_is_sent_to_the_control_question(gas, consumer):
    _alpha, _beta, supplier = gas
    user, client = consumer
    account = make_account(supplier, "23185957")
    link(user, account, access="basic")
    make_shop(supplier)
    response = client.get(f"/personal/{account.pk}/pay/")
    assert response.status_code == 302 and "/extended/" in response["Location"]


@pytest.mark.django_db
def test_a_supplier_without_a_provider_says_so(gas, consumer):
    _alpha, _beta, supplier = gas
    user, client = consumer
    account = make_account(supplier, "23185958")
    link(user, account)
    assert "пока недоступна" in text_of(client.get(f"/personal/{account.pk}/pay/"))
    response, _token = start(client, account)
    assert "пока недоступна" in text_of(response)


@pytest.mark.django_db
def test_paying_with_readings_saves_them_first_and_shows_them(payer):
    user, client, account, _shop = payer
    with scopes_disabled():
        meter = account.meters.get()
    response = client.post(f"/personal/{account.pk}/readings/",
                           {"then": "pay", f"m{meter.pk}z1": "123,456"})
    assert response.status_code == 302 and "/pay/?readings=" in response["Location"], text_of(response)
    page = text_of(client.get(response["Location"]))
    assert "Показания переданы" in page and "123,456" in page
    reading_ids = response["Location"].split("readings=")[1]
    token = uuid.uuid4()
    client.post(f"/personal/{account.pk}/pay/", {"kind": "debt", "token": token, "readings": reading_ids})
    payment = payment_of(token)
    assert payment.kind == "readings"
    with scopes_disabled():
        assert [reading.value for reading in payment.readings.all()] == [Decimal("123.456")]
    assert "123,456" in text_of(client.get(f"/payments/{token}/confirm/"))
    # The readings stay whatever becomes of the payment.
    client.post(to_sandbox(client, payment), {"outcome": "decline"})
    with scopes_disabled():
        assert meter.readings.filter(source="portal").count() == 1


@pytest.mark.django_db
def test_the_state_machine_refuses_forbidden_moves_and_frozen_fields(payer):
    _user, client, account, _shop = payer
    payment = pay_through(client, account)
    with scopes_disabled():
        payment = Payment.objects.get(pk=payment.pk)
        payment.status = "pending"
        with pytest.raises(ValidationError):
            payment.save()
        payment = Payment.objects.get(pk=payment.pk)
        payment.amount = Decimal("1")
        with pytest.raises(ValidationError):
            payment.save()


@pytest.mark.django_db
def test_a_refund_through_the_provider(payer):
    _user, client, account, _shop = payer
    payment = pay_through(client, account, kind="amount", amount="100")
    with scopes_disabled():
        payment = Payment.objects.select_related("provider_account").get(pk=payment.pk)
        partly = services.payment_refund(payment, amount=Decimal("40"))
        assert (partly.status, partly.refunded_amount) == ("succeeded", Decimal("40.00"))
        fully = services.payment_refund(Payment.objects.select_related("provider_account").get(pk=payment.pk))
        assert (fully.status, fully.refunded_amount) == ("refunded", Decimal("100.00"))
        with pytest.raises(services.PaymentRefused):
            services.payment_refund(Payment.objects.select_related("provider_account").get(pk=payment.pk))


@pytest.mark.django_db
def test_provider_secrets_are_stored_encrypted(payer):
    _user, _client, _account, shop = payer
    with scopes_disabled():
        stored = type(shop).objects.values_list("secret_encrypted", flat=True).get(pk=shop.pk)
    assert "sandbox-secret-1" not in stored and shop.secret == "sandbox-secret-1"


@pytest.mark.django_db
def test_the_sandbox_status_endpoint_needs_the_shops_key(payer):
    import base64

    _user, client, account, shop = payer
    payment = pay_through(client, account)
    path = f"/sandbox-pay/api/payments/{payment.provider_payment_id}/"
    assert client.get(path).status_code == 401
    wrong = base64.b64encode(f"{shop.shop_id}:nope".encode()).decode()
    assert client.get(path, HTTP_AUTHORIZATION=f"Basic {wrong}").status_code == 401
    right = base64.b64encode(f"{shop.shop_id}:{shop.secret}".encode()).decode()
    answer = json.loads(client.get(path, HTTP_AUTHORIZATION=f"Basic {right}").content)
    assert (answer["status"], answer["amount_kopecks"]) == ("succeeded", 150000)


@pytest.mark.django_db
def test_a_payer_with_only_a_phone_gets_the_receipt_by_sms(payer, outbox):
    user, client, account, _shop = payer
    with scopes_disabled():
        type(user).objects.filter(pk=user.pk).update(email="", phone="+79005554433")
    payment = pay_through(client, account)
    [sms] = outbox.messages("+79005554433")
    assert "1500,00" in sms.text and account.number in sms.text
    assert "SMS на +79005554433" in text_of(client.get(f"/payments/{payment.public_id}/"))


@pytest.mark.django_db
def test_a_notify_url_with_odd_digits_is_a_404(payer):
    _user, client, _account, _shop = payer
    for odd in ("²", "１", "٣", "9" * 40):
        assert client.post(f"/payments/notify/{odd}/", data=b"{}", content_type="application/json").status_code == 404


@pytest.mark.django_db
def test_the_pay_page_offers_readings_first_where_the_account_has_meters(payer):
    """The pay page reads whether there are meters itself (billing's overview no longer
    brings them): «Передать показания и оплатить» is there for an account with meters."""
    _user, client, account, _shop = payer
    assert "Передать показания и оплатить" in text_of(client.get(f"/personal/{account.pk}/pay/"))


# --- Attacks: amounts ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("typed", "charged"), [
    ("１５００", Decimal("1500.00")),  # full-width digits: read as the number they show
    ("١٥٠٠", Decimal("1500.00")),
    ("1E+5", Decimal("100000.00")),
    ("1.", Decimal("1.00")),
])
def test_odd_spellings_of_an_amount_charge_exactly_the_number_shown(payer, typed, charged):
    _user, client, account, _shop = payer
    response, token = start(client, account, kind="amount", amount=typed)
    assert response.status_code == 302
    assert payment_of(token).amount == charged
    assert f"{charged:,.2f}".replace(",", " ").replace(".", ",") in text_of(client.get(response["Location"]))


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["1e-2", "0.001", "0,999", ".5", "5E+5.01", "500000.01", "1e999999999",
                                   "-0", "sNaN", "²", "1..0", "0x10"])
def test_amounts_out_of_range_or_inexact_are_refused(payer, typed):
    _user, client, account, _shop = payer
    response, _token = start(client, account, kind="amount", amount=typed)
    assert response.status_code == 200
    with scopes_disabled():
        assert not Payment.objects.exists()


@pytest.mark.django_db
def test_a_posted_amount_never_becomes_the_debts_amount(payer):
    _user, client, account, _shop = payer
    for amount in ("1.00", "-5", "0"):
        response, _token = start(client, account, kind="debt", amount=amount)
        assert response.status_code == 200
    _response, token = start(client, account, kind="debt")
    assert payment_of(token).amount == Decimal("1500.00")


# --- Attacks: whose payment ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_payment_form_token_of_another_user_finds_nothing(payer, gas, tenant_client):
    from accounts.factories import UserFactory

    _user, client, account, _shop = payer
    alpha, _beta, _supplier = gas
    _response, token = start(client, account)
    stranger = tenant_client(alpha)
    stranger_user = UserFactory(tenant=alpha)
    stranger.force_login(stranger_user)
    own = make_account(account.supplier, "23185953")
    link(stranger_user, own)
    response = stranger.post(f"/personal/{own.pk}/pay/", {"kind": "debt", "token": token})
    assert response.status_code == 200 and "устарела" in text_of(response)
    assert payment_of(token).user_id != stranger_user.pk


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["removed", "basic"])
def test_a_payer_whose_link_was_taken_away_no_longer_reaches_the_payment(payer, change):
    from billing.models import AccountLink

    user, client, account, _shop = payer
    _response, token = start(client, account)
    with scopes_disabled():
        # As the admin and the services do it: through the rows (the links' cache is
        # replaced by their signals).
        row = AccountLink.objects.get(user=user, account=account)
        if change == "removed":
            row.delete()
        else:
            row.access, row.proof = "basic", ""
            row.save()
    assert client.get(f"/payments/{token}/confirm/").status_code in (302, 404)
    assert client.post(f"/payments/{token}/confirm/").status_code in (302, 404)
    with scopes_disabled():
        assert not SandboxPayment.objects.exists()
        assert payment_of(token).status == "created"


@pytest.mark.django_db
def test_other_peoples_reading_ids_are_not_attached_to_a_payment(payer, gas, tenant_client):
    from accounts.factories import UserFactory
    from meters.models import Reading

    user, client, account, _shop = payer
    alpha, _beta, _supplier = gas
    other = UserFactory(tenant=alpha)
    link(other, account)
    with scopes_disabled():
        meter = account.meters.get()
        theirs = Reading.objects.create(tenant=alpha, meter=meter, value=Decimal("5"), taken_on=timezone.localdate(),
                                        source="portal", submitted_by=other, submitted_at=timezone.now(),
                                        status="submitted")
    token = uuid.uuid4()
    client.post(f"/personal/{account.pk}/pay/", {"kind": "debt", "token": token, "readings": f"{theirs.pk},１,²"})
    payment = payment_of(token)
    with scopes_disabled():
        assert payment.kind == "debt" and not payment.readings.exists()


# --- Attacks: provider URLs from the Host header -------------------------------------------------


@pytest.mark.django_db
def test_the_provider_is_given_the_tenants_own_address_not_the_requests_host(payer):
    _user, client, account, _shop = payer
    _response, token = start(client, account)
    response = client.post(f"/payments/{token}/confirm/", HTTP_HOST="alpha.localhost:6379")
    assert response.status_code == 302
    with scopes_disabled():
        row = SandboxPayment.objects.get()
    for url in (row.notification_url, row.return_url, response["Location"]):
        assert ":6379" not in url, url


# --- Attacks: signed notifications ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_signed_notification_with_duplicate_keys_or_a_stale_event_marks_nothing_paid(payer, monkeypatch):
    _user, client, account, shop = payer
    monkeypatch.setattr(sandbox, "_schedule_notifications", lambda payment, event: None)
    payment = pay_through(client, account, outcome="abandon")
    pid = payment.provider_payment_id
    body = ('{"type":"notification","event":"payment.succeeded","object":{"id":"%s","status":"succeeded"},'
            '"object":{"id":"%s","status":"succeeded","amount_kopecks":150000}}' % (uuid.uuid4(), pid)).encode()
    assert notify(client, shop, body).status_code == 200
    stale = json.dumps({"type": "notification", "event": "payment.waiting_for_capture", "object": {"id": pid}}).encode()
    assert notify(client, shop, stale).status_code == 200
    empty = client.post(f"/payments/notify/{shop.pk}/", data=body, content_type="application/json",
                        HTTP_X_SANDBOX_SIGNATURE="")
    assert empty.status_code == 403
    assert notify(client, shop, body, signature=sandbox.sign(shop.secret, body).upper()).status_code == 403
    assert payment_of(payment.public_id).status == "pending"
    assert "Проверяем оплату" in text_of(client.get(f"/payments/{payment.public_id}/"))
    assert payment_of(payment.public_id).status == "pending"


@pytest.mark.django_db
def test_a_deeply_nested_signed_notification_is_refused_not_a_500(payer):
    _user, client, _account, shop = payer
    body = b'{"object":' * 100000 + b"1" + b"}" * 100000
    assert notify(client, shop, body).status_code == 403


# --- Attacks: the sandbox ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_non_ascii_3ds_code_declines_instead_of_a_500(payer):
    _user, client, account, _shop = payer
    response, token = start(client, account)
    page = to_sandbox(client, payment_of(token))
    assert client.post(page, {"outcome": "3ds-code", "code": "١٢٣٤٥"}).status_code == 302
    assert payment_of(token).status == "canceled"


@pytest.mark.django_db
def test_a_non_ascii_secret_at_the_sandbox_api_is_a_401(payer):
    _user, client, account, shop = payer
    payment = pay_through(client, account)
    credentials = base64.b64encode(f"{shop.shop_id}:пароль".encode()).decode()
    response = client.get(f"/sandbox-pay/api/payments/{payment.provider_payment_id}/",
                          HTTP_AUTHORIZATION=f"Basic {credentials}")
    assert response.status_code == 401


@pytest.mark.django_db
def test_with_the_sandbox_off_its_pages_and_api_are_404(payer, settings):
    _user, client, account, shop = payer
    payment = pay_through(client, account, outcome="abandon")
    settings.PAYMENT_SANDBOX_ENABLED = False
    credentials = base64.b64encode(f"{shop.shop_id}:{shop.secret}".encode()).decode()
    assert client.get(f"/sandbox-pay/{payment.provider_payment_id}/").status_code == 404
    assert client.post(f"/sandbox-pay/{payment.provider_payment_id}/", {"outcome": "success"}).status_code == 404
    assert client.get(f"/sandbox-pay/api/payments/{payment.provider_payment_id}/",
                      HTTP_AUTHORIZATION=f"Basic {credentials}").status_code == 404
    assert payment_of(payment.public_id).status == "pending"


@pytest.mark.django_db
def test_with_the_sandbox_off_a_sandbox_shop_takes_no_payment(payer, settings):
    _user, client, account, _shop = payer
    settings.PAYMENT_SANDBOX_ENABLED = False
    assert "пока недоступна" in text_of(client.get(f"/personal/{account.pk}/pay/"))
    response, _token = start(client, account)
    assert "пока недоступна" in text_of(response)
    with scopes_disabled():
        assert not Payment.objects.exists()


@pytest.mark.django_db
def test_with_the_sandbox_off_its_notifications_are_not_taken(payer, settings, monkeypatch):
    from payments import tasks

    _user, client, account, shop = payer
    payment = pay_through(client, account, outcome="abandon")
    settings.PAYMENT_SANDBOX_ENABLED = False
    monkeypatch.setattr(tasks.apply_payment_event, "delay", lambda **kwargs: None)  # its fetch would fail
    with scopes_disabled():
        row = SandboxPayment.objects.get(pk=payment.provider_payment_id)
        PaymentEvent.objects.all().delete()
    assert notify(client, shop, sandbox.notification_body(row, "payment.succeeded")).status_code != 200
    with scopes_disabled():
        assert not PaymentEvent.objects.exists()


@pytest.mark.django_db
def test_the_pay_form_served_from_the_cache_gets_a_new_token_each_time_and_a_refused_one_keeps_its_own(payer):
    _user, client, account, _shop = payer
    tokens = [re.search(r'name="token" value="([^"]+)"', client.get(f"/personal/{account.pk}/pay/").content.decode())[1]
              for _ in range(2)]
    assert tokens[0] != tokens[1]  # the fields come from the cache; the token never does
    sent = uuid.uuid4()
    refused, _token = start(client, account, kind="amount", amount="", token=sent)
    page = refused.content.decode()
    assert refused.status_code == 200 and "Введите сумму." in page
    assert f'name="token" value="{sent}"' in page  # sent again, the same payment
