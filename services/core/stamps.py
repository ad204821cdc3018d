"""A version stamp of a set of rows, as one scalar subquery: `MAX(col)` or `COUNT(*)` with no
GROUP BY, so callers can put several areas' stamps in one SELECT (the home screen's ETag)."""

from django.db.models import DateTimeField, F, Func, IntegerField, QuerySet, Subquery


def latest(qs: QuerySet, field: str = "updated_at") -> Subquery:
    """The newest `field` of the rows (NULL when none)."""
    expr = Func(F(field), function="MAX", output_field=DateTimeField())
    return Subquery(qs.order_by().annotate(stamp=expr).values("stamp")[:1])


def count(qs: QuerySet) -> Subquery:
    """How many rows (a deleted or hidden row changes it when `latest` cannot see it)."""
    expr = Func(F("pk"), function="COUNT", output_field=IntegerField())
    return Subquery(qs.order_by().annotate(stamp=expr).values("stamp")[:1])
