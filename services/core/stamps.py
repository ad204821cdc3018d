"""A version stamp of a set of rows, as one scalar subquery with no GROUP BY, so callers can
put several areas' stamps in one SELECT (the home screen's ETag)."""

from django.db.models import F, Func, QuerySet, Subquery, TextField

# COUNT(*) and the newest value as one text: an edit moves the newest, a deleted or hidden
# row moves the count. One expression, not a tree of Cast and Concat: the home screen's ETag
# builds seven of these per request, and building costs more than PostgreSQL's run.
_VERSION = "CAST(COUNT(*) AS TEXT) || '/' || COALESCE(CAST(MAX(%(expressions)s) AS TEXT), '')"


def version(qs: QuerySet, field: str = "updated_at") -> Subquery:
    """The version of the rows `qs` selects (any filter, ordering or related loads dropped
    from the subquery's cost, not from its rows)."""
    stamp = Func(F(field), template=_VERSION, output_field=TextField())
    return Subquery(qs.order_by().values(stamp=stamp))
