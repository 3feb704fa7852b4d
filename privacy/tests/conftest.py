"""A demo-like consumer with a row of every kind, a second consumer of the same tenant
(a family member linked to the same account) and a consumer of another tenant: the export
must hold the first one's rows and nothing of the other two."""

import datetime
import zlib
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.core.files.storage import FileSystemStorage
from django.utils import timezone

from accounts.factories import UserFactory
from accounts.models import ConsentAcceptance
from appeals.factories import appeal_rows
from appeals.models import Attachment, Message
from billing.factories import AccountLinkFactory, SupplierFactory
from billing.models import AccountLink
from meters.factories import exchange_rows
from meters.models import Reading
from payments.factories import payment_rows
from portal.models import ConsentDocument
from portal.scoping import tenant_scope


@pytest.fixture(autouse=True)
def _attachments_in_tmp(tmp_path, monkeypatch):
    # A FileField binds its storage when the model loads: the field's own storage is swapped.
    monkeypatch.setattr(Attachment._meta.get_field("file"), "storage",
                        FileSystemStorage(location=str(tmp_path / "private")))


@dataclass
class Person:
    user: object
    account: object
    link: object
    reading: object
    payment: object
    appeal: object
    secrets: list = field(default_factory=list)  # values that only this person's export may hold


def make_person(tenant, supplier, tag, *, phone, extra_account=None):
    with tenant_scope(tenant):
        user = UserFactory(tenant=tenant, email=f"{tag}@example.com", username=f"{tag}@example.com", phone=phone,
                           last_name=f"Фамилия-{tag}", first_name=f"Имя-{tag}", middle_name="Отчество")
        document = ConsentDocument.objects.filter(kind=ConsentDocument.Kind.PERSONAL_DATA).first() or \
            ConsentDocument.objects.create(tenant=tenant, kind=ConsentDocument.Kind.PERSONAL_DATA, version=3,
                                           title="Согласие", checkbox_label="Согласен", text="Текст")
        ConsentAcceptance.objects.create(tenant=tenant, user=user, document=document, ip_address="10.0.0.7",
                                         user_agent=f"browser-{tag}")
        number = f"{zlib.crc32(tag.encode()) % 10**9:09d}"
        rows = exchange_rows(supplier, number, user=user)
        link = rows["link"]
        link.access, link.proof = AccountLink.Access.FULL, AccountLink.Proof.STAFF
        link.save()
        reading = Reading.objects.create(
            tenant=tenant, meter=rows["meter"], zone=1, value=Decimal(f"{len(tag)}4321.1234"),
            taken_on=datetime.date(2026, 11, 20), source=Reading.Source.PORTAL, submitted_at=timezone.now(),
            submitted_by=user, status=Reading.Status.SUBMITTED, period=datetime.date(2026, 11, 1))
        payment = payment_rows(rows["account"], user=user)["payment"]
        appeal_made = appeal_rows(tenant, author=user, account=rows["account"])
        Message.objects.create(tenant=tenant, appeal=appeal_made["appeal"], author=user, text=f"Текст от {tag}")
    return Person(user=user, account=rows["account"], link=link, reading=reading, payment=payment,
                  appeal=appeal_made["appeal"],
                  secrets=[user.email, phone, number, rows["account"].holder_name, f"Текст от {tag}",
                           f"Фамилия-{tag}", str(payment.public_id), f"browser-{tag}"])


@pytest.fixture
def world(tenants):
    alpha, beta = tenants
    alpha_supplier, beta_supplier = SupplierFactory(tenant=alpha), SupplierFactory(tenant=beta)
    consumer = make_person(alpha, alpha_supplier, "consumer", phone="+79001110001")
    family = make_person(alpha, alpha_supplier, "family", phone="+79001110002")
    stranger = make_person(beta, beta_supplier, "stranger", phone="+79001110003")
    with tenant_scope(alpha):
        # The family member also links the consumer's account and submits a reading on it.
        AccountLinkFactory(user=family.user, account=consumer.account)
        family_reading = Reading.objects.create(
            tenant=alpha, meter=consumer.reading.meter, zone=1, value=Decimal("98765.4321"),
            taken_on=datetime.date(2026, 11, 21), source=Reading.Source.PORTAL, submitted_at=timezone.now(),
            submitted_by=family.user, status=Reading.Status.EXPORTED, period=datetime.date(2026, 10, 1))
    family.secrets.append(str(family_reading.value))
    return {"alpha": alpha, "beta": beta, "consumer": consumer, "family": family, "stranger": stranger,
            "supplier": alpha_supplier}
