"""Query-string filters shared by the list endpoints."""

import datetime

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers

from api.fields import BoundedDateTimeField
from services.core.errors import invalid

InvalidUpdatedSince = invalid(
    "invalid_updated_since", _("updated_since must be an ISO 8601 date-time.")
)

UPDATED_SINCE = OpenApiParameter(
    "updated_since",
    OpenApiTypes.DATETIME,
    description="Only rows changed since this time (at most 50 years ago, 1 year ahead).",
)


# Changed since when: a phone that synced 50 years ago is a phone that never synced.
_UPDATED_SINCE = BoundedDateTimeField(years_back=50, years_ahead=1)


def parse_updated_since(raw: str) -> datetime.datetime:
    """An ISO 8601 date-time within the field's window; anything else (impossible, overflowing,
    absurd) is a 400 `invalid_updated_since`, never a 500."""
    try:
        # A "+" in a query string arrives as a space.
        return _UPDATED_SINCE.run_validation(raw.replace(" ", "+"))
    except serializers.ValidationError as exc:
        messages = [str(m) for m in exc.detail] if isinstance(exc.detail, list) else []
        message = str(InvalidUpdatedSince.default_message)
        raise InvalidUpdatedSince(fields={"updated_since": [message, *messages]}) from None


def filter_updated_since(request, queryset):
    """`?updated_since=<iso>` for lists a phone syncs."""
    raw = request.query_params.get("updated_since")
    if not raw:
        return queryset
    return queryset.filter(updated_at__gte=parse_updated_since(raw))


@extend_schema_field(OpenApiTypes.DATETIME)
class UpdatedSinceFilter(django_filters.CharFilter):
    """django-filter's `updated_since`, with the same window and error as the other lists."""

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__gte": parse_updated_since(value)})


class UpdatedSinceOnList:
    """Viewset mixin: `?updated_since=` narrows the list action (documented on it)."""

    @extend_schema(parameters=[UPDATED_SINCE])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.action == "list":
            queryset = filter_updated_since(self.request, queryset)
        return queryset
