"""What an app declares about a file it takes: its columns, the SQL that resolves its rows
against the database, the table it writes and how a row is matched to the stored one."""

from dataclasses import dataclass, field


@dataclass
class Column:
    name: str
    sql_type: str  # of the staging column
    parse: object = None  # a parser of portal.exchange.values; None: the text as it is
    required: bool = field(default=False, kw_only=True)
    default: object = field(default=None, kw_only=True)  # when the cell is empty and the column optional


@dataclass
class Verdict:
    """Rows that name one of the portal's own rows by its id (``id_column``) carry billing's
    verdict on it (readings.csv: accepted or rejected, on a reading the portal exported).
    Such a row is keyed by that id alone, updates only ``values`` of that row and is counted
    as updated; the kind's SQL gives ``values`` as empty text on the other rows, and a new
    row is written with them."""

    id_column: str
    values: tuple


@dataclass
class Kind:
    name: str  # the file's name starts with it (accounts.csv, charges_2026-05.csv)
    columns: list
    resolve_sql: str  # SELECT over `staging st` giving the target's columns + reason fields
    target: str
    key: tuple  # target columns of the natural key
    values: tuple  # target columns compared and updated
    # The kind applied right before this one, another app's whose rows this one names (a
    # meter names an account); without it a kind follows the one its app declares before it.
    after: str = ""
    key_condition: str = ""  # extra condition on the target row (a partial unique index)
    sources: dict = field(default_factory=dict)  # value column -> file column, where they differ
    # Staging columns computed from a parsed row (after the file's columns), and the function
    # that computes them: (context, values) -> None, appending to ``values`` or replacing one
    # of them in place (accounts: the PIN by its hash; readings: the value's digits).
    derived: tuple = ()  # (name, sql_type)
    complete_row: object = None
    verdict: Verdict | None = None
    after_apply: object = None  # (cursor, tenant_id, dialect) -> None, e.g. invoices from charges
    analyze_also: tuple = ()  # tables a large file changes besides `target` (charges: invoices)

    def values_given(self, file_columns):
        """The value columns the file carries: a column the file leaves out keeps what is
        stored (an accounts.csv without `pin` does not clear the PINs); a new row gets the
        column's default."""
        return tuple(name for name in self.values if self.sources.get(name, name) in file_columns)
