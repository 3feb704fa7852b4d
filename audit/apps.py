from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _

# What the trail records: every model whose change affects what a customer pays or sees,
# or who may see it (audit/tests/test_coverage.py walks the project's models: each is here
# or in NOT_TRACKED with its reason). Entries are written only in admin requests
# (audit.recording). Secrets never: the password hash (a change made by staff is recorded
# as that, audit.services.entry_secret_changed) and last_login, which every login
# rewrites; the receipt PIN's hash; a provider's secret key; a payment's provider page,
# a link that pays. An invoice's PDF is a rendering of its data, not a change of it.
TRACKED = {
    # The tenant, its domains and rules: what every page shows and how people sign up and link.
    "portal.Tenant": {},
    "portal.TenantDomain": {},
    "portal.TenantPolicy": {},
    "portal.ConsentDocument": {},
    "accounts.User": {"exclude_fields": ["password", "last_login"], "m2m_fields": {"groups", "user_permissions"}},
    "accounts.ConsentAcceptance": {},
    # Suppliers carry the payee of every receipt and QR code; contracts and counterparties
    # the contacts that prove a contract's access (guide 000). Billing's data is written by
    # the import with bulk SQL, which records nothing (no signals); registered all the same,
    # so that no other way of changing it goes unrecorded.
    "billing.Supplier": {},
    "billing.Counterparty": {},
    "billing.Contract": {},
    "billing.Account": {"exclude_fields": ["pin_hash"]},
    "billing.Charge": {},
    "billing.Invoice": {"exclude_fields": ["receipt", "receipt_source", "receipt_rendered_at"]},
    "billing.BillingPayment": {},
    "billing.AccountLink": {},
    "billing.WrongAnswers": {},
    "billing.PinRequest": {},
    "meters.Meter": {},
    "meters.Reading": {},
    "meters.ReadingWindow": {},
    "payments.ProviderAccount": {"exclude_fields": ["secret_encrypted"]},
    # Refunds too: a refund is a change of the payment (status, refunded amount).
    "payments.Payment": {"exclude_fields": ["confirmation_url"]},
    "appeals.AppealsPolicy": {},
    "appeals.Topic": {},
    "appeals.Appeal": {},
    "appeals.Message": {},
    "appeals.Attachment": {},
    # Built by the privacy app; recorded when that app is installed.
    "privacy.DeletionRequest": {},
}
# The project's models the trail leaves out, each with the reason (the coverage test
# refuses a model in neither list).
NOT_TRACKED = {
    "appeals.AppealCounter": "the tenant's last appeal number, written only as appeals are made; nobody edits it, and each appeal (on the trail) shows its number",
    "portal.OutgoingMessage": "the outbox: written by the portal as it sends; its text is sealed and never shown. "
                              "An admin's «Отправить ещё раз» writes its own entry (portal.services.messages_resend)",
    "accounts.Confirmation": "one-time codes, kept only as hashes: secrets, written only by the flows that send them",
    "billing.ImportRun": "the import's own record of who loaded which files and what came of it; read-only",
    "billing.ImportFile": "a file of an import run, part of the run's own record; read-only",
    "billing.ExportRun": "the export's own record of what went to billing; read-only",
    "payments.PaymentEvent": "a provider's notification stored raw as it came, never edited; what it changes in "
                             "a payment is on the trail (payments.Payment)",
    "payments.SandboxPayment": "the sandbox provider's own ledger: a stand-in for a service outside the portal",
    "payments.SandboxNotification": "the sandbox provider's notifications still to send: part of that stand-in",
    "appeals.ApplicationObject": "written once by the applicant with the application and shown read-only; the "
                                 "application (appeals.Appeal) is on the trail",
    "appeals.ApplicationStageChange": "the history of an application's stages, itself a record of who moved it "
                                      "and when; written only with the move, never edited; the stage is on the "
                                      "application (appeals.Appeal), which is on the trail",
    "notifications.Subscription": "the customer's own choice of notices, made on their profile only; no admin page",
    "notifications.Notification": "the record of notices sent, written by the sending task; read-only",
    "notifications.InvoiceWatermark": "the notice task's bookmark in the invoices; no one edits it",
    "audit.AuditEntry": "the trail itself: each entry is written once, never changed",
}
# Fields whose values an erasure keeps: facts about the staff's decision, not the person.
KEPT_ON_ERASURE = {
    "privacy.DeletionRequest": {"status", "decided_at", "decided_by", "completed_at"},
}
# Whose data each change is (AuditEntry.subject): what a deletion request erases.
SUBJECTS = {
    "accounts.User": "pk",
    "accounts.ConsentAcceptance": "user_id",
    "billing.Counterparty": "account_id",
    "billing.AccountLink": "user_id",
    "billing.PinRequest": "user_id",
    "meters.Reading": "submitted_by_id",
    "payments.Payment": "user_id",
    "appeals.Appeal": "author_id",
    "appeals.Message": "appeal.author_id",
    "appeals.Attachment": "appeal.author_id",
    "privacy.DeletionRequest": "user_id",
}


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Журнал действий")

    def ready(self):
        from auditlog.registry import auditlog
        from django.conf import settings
        from django.db.models.signals import post_delete

        from portal.models import Tenant

        from .models import entries_delete_with_tenant, entries_forget_deleted_user

        for label, options in TRACKED.items():
            app_label, model_name = label.split(".")
            if apps.is_installed(app_label):
                auditlog.register(apps.get_model(app_label, model_name), **options)
        # After the library's own receivers, which write the deletion's entries.
        post_delete.connect(entries_forget_deleted_user, sender=settings.AUTH_USER_MODEL,
                            dispatch_uid="audit_forget_deleted_user")
        post_delete.connect(entries_delete_with_tenant, sender=Tenant, dispatch_uid="audit_delete_with_tenant")
