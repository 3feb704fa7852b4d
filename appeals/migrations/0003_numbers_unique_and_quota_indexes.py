from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("appeals", "0002_numbers_per_tenant"),
    ]

    operations = [
        migrations.AlterField(
            model_name="appeal",
            name="number",
            field=models.PositiveIntegerField(editable=False, verbose_name="номер"),
        ),
        migrations.AddConstraint(
            model_name="appeal",
            constraint=models.UniqueConstraint(fields=("tenant", "number"), name="appeal_unique_number"),
        ),
        # The daily quotas of files (appeals.services.refuse_over_quota).
        migrations.AddIndex(
            model_name="attachment",
            index=models.Index(fields=["uploaded_by", "created_at"], name="attachment_user_day"),
        ),
        migrations.AddIndex(
            model_name="attachment",
            index=models.Index(fields=["tenant", "created_at"], name="attachment_tenant_day"),
        ),
    ]
