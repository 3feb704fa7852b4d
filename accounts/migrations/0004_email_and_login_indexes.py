"""Every lookup by a login uses an index: e-mails (now stored in lower case) by the plain
(tenant, email) constraint, allauth's username__iexact by an index on UPPER(username)."""

import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_lowercase_emails")]

    operations = [
        migrations.RemoveConstraint(model_name="user", name="email_unique_per_tenant"),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                condition=models.Q(("email", ""), _negated=True), fields=("tenant", "email"),
                name="email_unique_per_tenant",
            ),
        ),
        migrations.AddIndex(
            model_name="user",
            index=models.Index(
                models.F("tenant"), django.db.models.functions.text.Upper("username"), name="user_username_iexact"
            ),
        ),
    ]
