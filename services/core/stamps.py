"""Version stamps of sets of rows, read in one SELECT (the home screen's ETag): each set is a
scalar subquery with no GROUP BY, so several areas' stamps share one round trip."""

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import F, Func, QuerySet, TextField

# COUNT(*) and the newest value as one text: an edit moves the newest, a deleted or hidden
# row moves the count. One expression, not a tree of Cast and Concat: the home screen's ETag
# builds seven of these per request, and building costs more than PostgreSQL's run.
EMPTY = "0/"  # what `_VERSION` makes of no rows
_VERSION = "CAST(COUNT(*) AS TEXT) || '/' || COALESCE(CAST(MAX(%(expressions)s) AS TEXT), '')"


def version(qs: QuerySet, field: str = "updated_at") -> QuerySet:
    """The version of the rows `qs` selects, as a one-row query for `read`."""
    stamp = Func(F(field), template=_VERSION, output_field=TextField())
    return qs.order_by().values(stamp=stamp)


def read(**versions: QuerySet) -> dict[str, str]:
    """Every version in one SELECT of scalar subqueries. Each is compiled on its own: wrapping
    them in an outer queryset would clone every one of them again."""
    names = list(versions)
    if not names:
        return {}
    using = versions[names[0]].db
    selects, params = [], []
    for name in names:
        try:
            sql, part_params = versions[name].query.get_compiler(using=using).as_sql()
        except EmptyResultSet:  # `.none()`, `pk__in=[]`: no rows, the version of none
            sql, part_params = f"SELECT '{EMPTY}'", ()
        selects.append(f"({sql})")
        params.extend(part_params)
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(selects), params)
        row = cursor.fetchone()
    return dict(zip(names, row, strict=True))
