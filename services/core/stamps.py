"""Version stamps of sets of rows, read in one SELECT (the home screen's ETag): each set is a
scalar subquery with no GROUP BY, so several areas' stamps share one round trip.

A stamp is a queryset (`version`) or, on a path where building and compiling querysets
costs more than PostgreSQL's run (the home screen's ETag, read on every request, even a
304), hand-written SQL (`sql_version`): the same expression over the same rows, which a
test checks against the selector that shows them."""

from contextlib import contextmanager

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
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


def sql_version(source: str, *newest: str, using: str = DEFAULT_DB_ALIAS) -> str:
    """`version` by hand: `source` is the SQL after FROM (tables, joins, WHERE with `%s`
    parameters), `newest` the columns whose newest value moves the version."""
    if len(newest) > 1:  # as Django writes `Greatest`: SQLite's scalar MAX takes several
        greatest = "GREATEST" if connections[using].vendor != "sqlite" else "MAX"
        newest = (f"{greatest}({', '.join(newest)})",)
    return f"SELECT {_VERSION % {'expressions': newest[0]}} FROM {source}"  # noqa: S608 (code, never input)


def sql_datetime(value, using: str = DEFAULT_DB_ALIAS):
    """A datetime as a parameter of `sql_version`'s SQL (SQLite compares text)."""
    return connections[using].ops.adapt_datetimefield_value(value)


def read(using: str = DEFAULT_DB_ALIAS, **versions: QuerySet | tuple[str, list]) -> dict[str, str]:
    """Every version in one SELECT of scalar subqueries: querysets (`version`) or
    `(sql_version(...), params)`. Each queryset is compiled on its own: wrapping them in an
    outer queryset would clone every one of them again."""
    names = list(versions)
    if not names:
        return {}
    selects, params = [], []
    for name in names:
        part = versions[name]
        if isinstance(part, tuple):
            sql, part_params = part
        else:
            try:
                sql, part_params = part.query.get_compiler(using=using).as_sql()
            except EmptyResultSet:  # `.none()`, `pk__in=[]`: no rows, the version of none
                sql, part_params = f"SELECT '{EMPTY}'", ()
        selects.append(f"({sql})")
        params.extend(part_params)
    connection = connections[using]
    with connection.cursor() as cursor, _prepared(connection):
        cursor.execute("SELECT " + ", ".join(selects), params)
        row = cursor.fetchone()
    return dict(zip(names, row, strict=True))


@contextmanager
def _prepared(connection):
    """On PostgreSQL with server-side binding: the statement is prepared at its first run on
    this connection and run prepared after that (psycopg's cache, keyed by the SQL; a
    rollback on the connection empties it). It returns text columns only, so no migration
    can change its result type. Other statements are never prepared (`prepare_threshold`
    stays None)."""
    raw = connection.connection
    if connection.vendor != "postgresql" or not connection.settings_dict["OPTIONS"].get(
        "server_side_binding"
    ):
        yield
        return
    threshold = raw.prepare_threshold
    raw.prepare_threshold = 0
    try:
        yield
    finally:
        raw.prepare_threshold = threshold
