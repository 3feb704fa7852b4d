"""Indexes for the admin's account search on PostgreSQL.

The search (billing.admin.search_accounts) asks for the start of the holder's name or of the
address, case-insensitive: Django writes that as ``UPPER(col::text) LIKE UPPER('term%')``.
A b-tree on that expression with ``text_pattern_ops`` serves a prefix LIKE whatever the
database's collation; the account number has its (tenant, number) index already. Both
lead with the tenant, the first condition of every query here.

PostgreSQL only: SQLite (the embedded development database) has no operator classes, and
these indexes stay out of the migration state so that SQLite's table rebuilds never try to
create them. At a million accounts that is a PostgreSQL concern anyway.
"""

from django.db import migrations

INDEXES = {
    "account_holder_prefix": "holder_name",
    "account_address_prefix": "address",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "billing_account" '
            f'("tenant_id", UPPER("{column}"::text) text_pattern_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_billing_data")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
