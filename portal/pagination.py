"""Admin list pages that stay fast on tables of millions of rows.

Django's changelist asks its paginator for ``count``, which is a ``SELECT COUNT(*)`` over
every row the list shows: on PostgreSQL that reads the whole (tenant's part of the) table,
a second or more at a million rows, on every page view. ``LargeTablePaginator`` counts
exactly only up to a bound (``SELECT COUNT(*) FROM (… LIMIT n+1)``: at most n+1 index
entries, whatever the table's size) and beyond that takes the planner's estimate of the
same filtered query from ``EXPLAIN`` (PostgreSQL's own statistics; the approach of the
PostgreSQL wiki's "Count estimate" page). ``pg_class.reltuples`` alone would not do: every
list here is filtered by its tenant, and reltuples counts every tenant's rows.

The page shows the figure as approximate («≈»); page links follow the estimate, and a page
past the real end is merely empty. Other databases (the embedded SQLite) show "more than n"
and pages up to the bound: filter or search to get further.
"""

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property


class LargeTablePaginator(Paginator):
    exact_up_to = 10_000

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.estimated = False

    @cached_property
    def count(self):
        queryset = self.object_list.order_by()
        bounded = queryset[: self.exact_up_to + 1].count()
        if bounded <= self.exact_up_to:
            return bounded
        self.estimated = True
        return max(self.exact_up_to + 1, planner_estimate(queryset))


def planner_estimate(queryset):
    """The planner's row estimate for ``queryset`` (PostgreSQL), or 0 where there is none."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return 0
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):  # a driver that does not decode json
        import json

        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])
