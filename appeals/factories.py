"""Appeals' staff and rows of every appeals model for a tenant, for tests that walk every table
(the admin)."""

from accounts.factories import staff_user

APPEALS_STAFF_PERMISSIONS = [
    "appeals.view_appeal", "appeals.change_appeal",
    "appeals.view_topic", "appeals.add_topic", "appeals.change_topic", "appeals.delete_topic",
    "appeals.view_appealspolicy", "appeals.add_appealspolicy", "appeals.change_appealspolicy",
]

# The smallest PDF `filetype` (and a viewer) takes: the header, one empty page, the trailer.
TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
# Where the rows' file is stored: one file for all of them, written once, so that a walk that
# builds rows for every test leaves no new file each time.
ROWS_FILE_NAME = "appeals/factory-rows.pdf"


def appeals_staff(tenant, username="staff", permissions=APPEALS_STAFF_PERMISSIONS):
    """A staff member of ``tenant`` who works the appeals queue (through a group of their own)."""
    return staff_user(tenant, username, permissions=permissions, group=f"appeals-{username}",
                      email=f"{username}@{tenant.slug}.example")


def appeal_rows(tenant, *, author=None, account=None):
    """A topic, the tenant's appeals policy (if it has none), a contract application by
    ``author`` (a visitor's contacts when None) on ``account``, with an object, a message
    and a PDF attached to it in the private storage. Returns them by model name."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from .models import Appeal, AppealsPolicy, ApplicationObject, Attachment, Message, Topic

    def create(model, **fields):
        return model._base_manager.create(tenant=tenant, **fields)

    topic, _created = Topic._base_manager.get_or_create(tenant=tenant, name="Общие вопросы")
    policy, _created = AppealsPolicy._base_manager.get_or_create(tenant=tenant,
                                                                 defaults={"contract_applications": True})
    visitor = {} if author is not None else {"contact_name": "Посетитель", "contact_email": "visitor@example.com"}
    appeal = create(
        Appeal, kind=Appeal.Kind.CONTRACT, status=Appeal.Status.NEW, topic=topic, author=author, account=account,
        subscriber_type="individual", applicant=f"Заявитель {tenant.slug}", object_address="г. Рязань, ул. Заявки, 1",
        submitted_at=timezone.now(), **visitor,
    )
    application_object = create(ApplicationObject, appeal=appeal, address="г. Рязань, ул. Заявки, 1",
                                purpose="жилой дом")
    message = create(Message, appeal=appeal, author=author, text=f"Прошу заключить договор ({tenant.slug}).")
    attachment = Attachment(tenant=tenant, appeal=appeal, message=message, name="заявление.pdf",
                            content_type="application/pdf", size=len(TINY_PDF), uploaded_by=author)
    storage = attachment.file.storage
    if not storage.exists(ROWS_FILE_NAME):
        storage.save(ROWS_FILE_NAME, ContentFile(TINY_PDF))
    attachment.file.name = ROWS_FILE_NAME
    attachment.save()
    return {"topic": topic, "appeals_policy": policy, "appeal": appeal, "application_object": application_object,
            "message": message, "attachment": attachment}


def contract_customer(tenant, client):
    """A customer of ``tenant`` (which takes contract applications) signed in on ``client``,
    with a draft contract application: (user, draft)."""
    from accounts.factories import UserFactory
    from portal.scoping import tenant_scope

    from .applications import services as applications
    from .models import AppealsPolicy

    with tenant_scope(tenant):
        AppealsPolicy.objects.get_or_create(tenant=tenant, defaults={"contract_applications": True})
    user = UserFactory(tenant=tenant)
    client.force_login(user)
    with tenant_scope(tenant):
        draft = applications.contract_draft_save(tenant=tenant, author=user, subscriber_type="individual",
                                                 objects=[("г. Рязань, ул. Садовая, 1", "жилой дом")])
    return user, draft


def grid_application(tenant, author, *, stage=None, staff=None):
    """A grid-connection application by ``author``, sent (stage «подана»), then moved by
    ``staff`` to ``stage`` if given. The tenant is made to take grid applications."""
    from decimal import Decimal

    from django.core.files.uploadedfile import SimpleUploadedFile

    from portal.scoping import tenant_scope

    from .applications import services as applications
    from .attachments import check_files
    from .models import AppealsPolicy

    with tenant_scope(tenant):
        AppealsPolicy.objects.update_or_create(tenant=tenant, defaults={"grid_connection_applications": True})
        draft = applications.grid_draft_save(
            tenant=tenant, author=author, applicant=author.get_full_name() or "Заявитель",
            object_address="Московская обл., г. Химки, ул. Лесная, 5", max_power_kw=Decimal("15"), voltage="0.4",
            reliability="3")
        applications.documents_add(draft, user=author, files=check_files(
            [SimpleUploadedFile("заявление.pdf", TINY_PDF, content_type="application/pdf")]))
        appeal = applications.application_submit(draft, user=author)
        if stage is not None:
            appeal = applications.application_stage_move(appeal, stage, by=staff)
    return appeal
