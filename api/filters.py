"""Query-string filters shared by the list endpoints."""

import datetime

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema

from services.core.errors import invalid

InvalidUpdatedSince = invalid(
    "invalid_updated_since", _("updated_since must be an ISO 8601 date-time.")
)

UPDATED_SINCE = OpenApiParameter(
    "updated_since", OpenApiTypes.DATETIME, description="Only rows changed since this time."
)


def filter_updated_since(request, queryset):
    """`?updated_since=<iso>` for lists a phone syncs; impossible or overflowing dates are a
    400, never a 500."""
    raw = request.query_params.get("updated_since")
    if not raw:
        return queryset
    try:
        # A "+" in a query string arrives as a space.
        value = datetime.datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
        value = value.astimezone(datetime.UTC)  # year 1 or 9999 with an offset overflows
    except (ValueError, OverflowError):
        message = str(InvalidUpdatedSince.default_message)
        raise InvalidUpdatedSince(fields={"updated_since": [message]}) from None
    return queryset.filter(updated_at__gte=value)


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
