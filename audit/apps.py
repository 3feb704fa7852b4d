from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _

# What the trail records: the customer's data staff may change in the admin. Secrets never:
# the password hash (and last_login, which every login rewrites); a payment's provider page
# is a link that pays, not a fact about the customer. Confirmation codes live in
# accounts.Confirmation (hashed), which is not recorded. Billing's imported tables are not
# registered: the import writes them with bulk SQL and no one edits them in the admin.
TRACKED = {
    "accounts.User": {"exclude_fields": ["password", "last_login"], "m2m_fields": {"groups", "user_permissions"}},
    "accounts.ConsentAcceptance": {},
    "billing.AccountLink": {},
    "billing.PinRequest": {},
    "payments.Payment": {"exclude_fields": ["confirmation_url"]},
    "appeals.Appeal": {},
    "appeals.Message": {},
    # Built by the privacy app; recorded when that app is installed.
    "privacy.DeletionRequest": {},
}
# Fields whose values an erasure keeps: facts about the staff's decision, not the person.
KEPT_ON_ERASURE = {
    "privacy.DeletionRequest": {"status", "decided_at", "decided_by", "completed_at"},
}
# Whose data each change is (AuditEntry.subject): what a deletion request erases.
SUBJECTS = {
    "accounts.User": "pk",
    "accounts.ConsentAcceptance": "user_id",
    "billing.AccountLink": "user_id",
    "billing.PinRequest": "user_id",
    "payments.Payment": "user_id",
    "appeals.Appeal": "author_id",
    "appeals.Message": "appeal.author_id",
    "privacy.DeletionRequest": "user_id",
}


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Журнал действий")

    def ready(self):
        from auditlog.registry import auditlog

        for label, options in TRACKED.items():
            app_label, model_name = label.split(".")
            if apps.is_installed(app_label):
                auditlog.register(apps.get_model(app_label, model_name), **options)
