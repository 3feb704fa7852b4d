"""E-mails are stored in lower case from now on (accounts.models.normalize_email): lower the
ones stored before. The unique constraint on (tenant, lower(email)) guarantees that no two
users of a tenant end up with the same address."""

from django.db import migrations
from django.db.models import F
from django.db.models.functions import Lower, Trim


def lowercase_emails(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    User.objects.exclude(email=Lower(Trim(F("email")))).update(email=Lower(Trim(F("email"))))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_confirmation_lifetimes_claims_staff_flag")]

    operations = [migrations.RunPython(lowercase_emails, migrations.RunPython.noop)]
