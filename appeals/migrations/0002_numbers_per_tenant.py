"""Appeals and applications are numbered per tenant (AppealCounter), not by the table's
global id: the existing ones are renumbered 1, 2, 3… per tenant in the order they were made,
and each tenant's counter starts after its last. Made NOT NULL and unique per tenant in 0003
(one step each: the data is written before the constraint is checked)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Max


def number_per_tenant(apps, schema_editor):
    Appeal = apps.get_model("appeals", "Appeal")
    AppealCounter = apps.get_model("appeals", "AppealCounter")
    table = schema_editor.quote_name(Appeal._meta.db_table)
    # One statement for any number of rows (PostgreSQL, and SQLite from 3.33).
    schema_editor.execute(
        f"UPDATE {table} SET number = numbered.position FROM ("
        f"SELECT id, ROW_NUMBER() OVER (PARTITION BY tenant_id ORDER BY id) AS position FROM {table}"
        f") AS numbered WHERE {table}.id = numbered.id"
    )
    last = Appeal._base_manager.values("tenant_id").annotate(last=Max("number")).order_by()
    AppealCounter._base_manager.bulk_create([
        AppealCounter(tenant_id=row["tenant_id"], last_number=row["last"]) for row in last
    ])


class Migration(migrations.Migration):

    dependencies = [
        ("appeals", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="AppealCounter",
            fields=[
                ("tenant", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True,
                                                related_name="+", serialize=False, to="portal.tenant",
                                                verbose_name="организация")),
                ("last_number", models.PositiveIntegerField(default=0, verbose_name="последний номер")),
            ],
            options={
                "verbose_name": "счётчик номеров обращений",
                "verbose_name_plural": "счётчики номеров обращений",
            },
        ),
        migrations.AddField(
            model_name="appeal",
            name="number",
            field=models.PositiveIntegerField(editable=False, null=True, verbose_name="номер"),
        ),
        migrations.RunPython(number_per_tenant, migrations.RunPython.noop),
    ]
