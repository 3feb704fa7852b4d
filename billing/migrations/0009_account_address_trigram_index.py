"""A trigram index on accounts' addresses, for the admin's search by any part of the address
(billing.admin.search_accounts): Django writes ``address__icontains`` as
``UPPER(address::text) LIKE UPPER('%word%')``, which a GIN index of ``gin_trgm_ops`` on that
expression serves (billing 0003's prefix index serves only the start).

PostgreSQL only, like 0003. ``pg_trgm`` ships with PostgreSQL; from version 13 it is a trusted
extension, which the database's owner may create.
"""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute('CREATE INDEX IF NOT EXISTS "account_address_trigram" ON "billing_account" '
                          'USING gin (UPPER("address"::text) gin_trgm_ops)')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute('DROP INDEX IF EXISTS "account_address_trigram"')


class Migration(migrations.Migration):
    dependencies = [("billing", "0008_access_proofs")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
