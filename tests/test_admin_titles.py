"""The admin's titles read right in Russian (issue 24, item 8). Django puts a model's name after
a verb («Выберите %s для изменения», «Добавить %s», «Изменить %s»), where Russian wants the
accusative: «Выберите обращение или заявку», not «обращение или заявка». Every registered admin
says its accusative (portal.admin.RussianTitles); the table below is the record, and a new
model fails here until someone decides how its name reads after «Выберите»."""

import re

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.factories import platform_superuser

pytestmark = pytest.mark.django_db

# The name after «Выберите», per model. Where it equals the nominative, nothing was declared.
ACCUSATIVE = {
    "accounts.user": "пользователя",
    "appeals.appeal": "обращение или заявку",
    "appeals.appealspolicy": "настройки обращений и заявок",
    "appeals.topic": "тему обращений",
    "audit.auditentry": "запись журнала",
    "auth.group": "группу",
    "billing.account": "лицевой счёт",
    "billing.accountlink": "подключённый лицевой счёт",
    "billing.billingpayment": "платёж (по данным биллинга)",
    "billing.charge": "начисление",
    "billing.contract": "договор",
    "billing.counterparty": "контрагента",
    "billing.exportrun": "выгрузку в биллинг",
    "billing.importrun": "загрузку из биллинга",
    "billing.invoice": "счёт",
    "billing.pinrequest": "запрос PIN-кода",
    "billing.supplier": "поставщика",
    "billing.wronganswers": "неверные ответы на контрольный вопрос",
    "meters.meter": "прибор учёта",
    "meters.reading": "показание",
    "meters.readingwindow": "окно приёма показаний",
    "notifications.notification": "уведомление",
    "otp_totp.totpdevice": "устройство TOTP",
    "payments.payment": "платёж в личном кабинете",
    "payments.paymentevent": "уведомление платёжного сервиса",
    "payments.provideraccount": "платёжный сервис поставщика",
    "portal.consentdocument": "документ для согласия",
    "portal.tenant": "организацию",
    "privacy.deletionrequest": "запрос на удаление учётной записи",
}


def registered():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label_lower)


def test_every_admin_says_its_models_name_in_the_accusative():
    declared = {model._meta.label_lower: str(model_admin.accusative_name()) for model, model_admin in registered()}
    assert declared == ACCUSATIVE


def test_the_lists_titles_read_right(tenant_client, admin_login):
    client = tenant_client(None)  # the platform's host: its superuser sees every list
    admin_login(client, platform_superuser())
    wrong = []
    for model, _model_admin in registered():
        opts = model._meta
        page = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert page.status_code == 200, opts.label_lower
        title = re.search(r"<h1[^>]*>(.*?)</h1>", page.content.decode(), re.S).group(1).strip()
        expected = {f"Выберите {ACCUSATIVE[opts.label_lower]} для изменения",
                    f"Выберите {ACCUSATIVE[opts.label_lower]} для просмотра"}
        if title not in expected:
            wrong.append((opts.label_lower, title))
    assert not wrong
    assert "Выберите обращение или заявку для изменения" in client.get(
        reverse("admin:appeals_appeal_changelist")).content.decode()


def test_the_forms_titles_read_right(tenant_client, admin_login, tenants):
    from billing.factories import SupplierFactory

    client = tenant_client(None)
    admin_login(client, platform_superuser())
    add = client.get(reverse("admin:appeals_topic_add")).content.decode()
    assert "<h1>Добавить тему обращений</h1>" in add
    supplier = SupplierFactory(tenant=tenants[0])
    change = client.get(reverse("admin:billing_supplier_change", args=[supplier.pk])).content.decode()
    assert "<h1>Изменить поставщика</h1>" in change
