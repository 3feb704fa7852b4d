"""A trigram index on the text of appeals' messages, for the admin's search by words of the
thread (appeals.admin.search_appeals): Django writes ``text__icontains`` as
``UPPER(text::text) LIKE UPPER('%word%')``, which a GIN index of ``gin_trgm_ops`` on that
expression serves.

PostgreSQL only, like billing 0003 (SQLite has no such index). ``pg_trgm`` ships with
PostgreSQL; creating the extension needs a role that may (the database's owner on PostgreSQL
13 and later, where pg_trgm is a trusted extension).
"""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute('CREATE INDEX IF NOT EXISTS "message_text_trigram" ON "appeals_message" '
                          'USING gin (UPPER("text"::text) gin_trgm_ops)')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute('DROP INDEX IF EXISTS "message_text_trigram"')


class Migration(migrations.Migration):
    dependencies = [("appeals", "0004_application_stages")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
