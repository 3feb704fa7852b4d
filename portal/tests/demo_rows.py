"""The rows a function writes to the database, kept as PostgreSQL COPY data and copied into
a test's database later: the demo seeded once per test run instead of once per test.

What the function writes must be new rows only: a row that existed before (a migration's
content types, permissions, consent documents) and is changed by it, or new rows in a table
that had rows before and has no integer ``id``, make ``capture`` fail loudly rather than
give tests a demo that differs from seed_demo's. Sequences are not touched: the ids the
function took stay taken (a rolled-back transaction does not give sequence values back), so
rows a test creates never collide with the copied ones.
"""

from django.db import connection, transaction


def _quoted(name):
    return connection.ops.quote_name(name)


def _has_id(cursor, table):
    cursor.execute(
        "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = %s AND column_name = 'id' AND data_type IN ('integer', 'bigint')",
        [table],
    )
    return cursor.fetchone() is not None


def _state(cursor, table, has_id):
    """(rows, largest id or None, a fingerprint of every row)."""
    order = "id" if has_id else "t::text"
    cursor.execute(
        f"SELECT count(*), {'max(id)' if has_id else 'NULL'}, md5(coalesce(string_agg(t::text, ',' ORDER BY {order}), '')) "
        f"FROM {_quoted(table)} AS t"
    )
    return cursor.fetchone()


def _fingerprint_upto(cursor, table, largest_id):
    cursor.execute(
        f"SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY id), '')) FROM {_quoted(table)} AS t WHERE id <= %s",
        [largest_id],
    )
    return cursor.fetchone()[0]


def _copy_out(cursor, query, params=()):
    data = bytearray()
    with cursor.cursor.copy(query, params) as copy:
        for block in copy:
            data += block
    return bytes(data)


class DemoRows:
    def __init__(self, tables):
        self.tables = tables  # [(table, COPY data)], in the order they were read

    @classmethod
    def capture(cls, write):
        """Run ``write()`` and keep the rows it added to every table."""
        with connection.cursor() as cursor:
            names = [name for name in connection.introspection.table_names(cursor) if name != "django_migrations"]
            has_id = {name: _has_id(cursor, name) for name in names}
            before = {name: _state(cursor, name, has_id[name]) for name in names}
        write()
        tables = []
        with connection.cursor() as cursor:
            for name in names:
                count, largest, fingerprint = before[name]
                after = _state(cursor, name, has_id[name])
                if after == before[name]:
                    continue
                if count == 0:
                    tables.append((name, _copy_out(cursor, f"COPY {_quoted(name)} TO STDOUT")))
                elif has_id[name] and _fingerprint_upto(cursor, name, largest) == fingerprint:
                    tables.append((name, _copy_out(
                        cursor, f"COPY (SELECT * FROM {_quoted(name)} WHERE id > %s) TO STDOUT", [largest])))
                else:
                    raise RuntimeError(f"{write.__name__} changed rows of {name} that existed before it ran: "
                                       "DemoRows copies new rows only")
        return cls(tables)

    def copy_in(self):
        """Write the kept rows into this database (one transaction, so that foreign keys,
        deferred, are checked once every table is in)."""
        with transaction.atomic(), connection.cursor() as cursor:
            for name, data in self.tables:
                with cursor.cursor.copy(f"COPY {_quoted(name)} FROM STDIN") as copy:
                    copy.write(data)
