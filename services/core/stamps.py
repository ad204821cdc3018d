"""Version stamps of sets of rows, read in one SELECT (the home screen's ETag): each set is a
scalar subquery with no GROUP BY, so several areas' stamps share one round trip."""

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import F, Func, QuerySet, TextField
from django.db.models.functions import Greatest

# COUNT(*) and the newest value as one text: an edit moves the newest, a deleted or hidden
# row moves the count. One expression, not a tree of Cast and Concat: the home screen's ETag
# builds several of these per request, and building costs more than PostgreSQL's run.
EMPTY = "0/"  # what `_VERSION` makes of no rows
_VERSION = "CAST(COUNT(*) AS TEXT) || '/' || COALESCE(CAST(MAX(%(expressions)s) AS TEXT), '')"


def version(qs: QuerySet, *fields: str) -> QuerySet:
    """The version of the rows `qs` selects, as a one-row query for `read`: their count and
    the newest of `fields` (default `updated_at`). Fields may follow relations
    (`"offer__employer__updated_at"`): a related row's edit then moves the version too, in
    the same subquery."""
    fields = fields or ("updated_at",)
    newest = F(fields[0]) if len(fields) == 1 else Greatest(*(F(f) for f in fields))
    stamp = Func(newest, template=_VERSION, output_field=TextField())
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
