import binascii
import datetime
import decimal
import math
from base64 import b64decode
from urllib import parse

from django.core.exceptions import FieldDoesNotExist, FieldError, ValidationError
from django.db import connections
from django.utils.translation import gettext_lazy as _
from rest_framework import pagination

from services.core.errors import invalid

InvalidCursor = invalid(
    "invalid_cursor", _("This page link is invalid or out of date: load the list again.")
)


def invalid_cursor(param: str = "cursor"):
    """The error for a cursor the server did not issue (also for a one-page list's cursor)."""
    return InvalidCursor(fields={param: [str(InvalidCursor.default_message)]})


def _ordering_field(queryset, name: str):
    """The model field (or annotation) a cursor position is compared with, or None."""
    name = name.lstrip("-")
    annotation = queryset.query.annotations.get(name)
    if annotation is not None:
        try:
            return annotation.output_field
        except FieldError:
            return None
    model, field = queryset.model, None
    for part in name.split("__"):
        if model is None:
            return None
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        model = field.related_model
    if field is not None and field.is_relation:
        field = getattr(field, "target_field", None)
    return field


def _position_fits(field, position: str, connection) -> bool:
    """Would the database accept `position` compared with `field`? Checked the way Django will
    send it (to_python, then the backend's adaptation), plus what the backend refuses later:
    NUL characters (PostgreSQL), integers out of range, dates that overflow in UTC."""
    if "\x00" in position:
        return False
    if field is None:
        return True
    try:
        value = field.to_python(position)
        if value is None:
            return False
        if isinstance(value, float) and not math.isfinite(value):
            return False
        if isinstance(value, decimal.Decimal) and not value.is_finite():
            return False
        if isinstance(value, int) and not isinstance(value, bool):
            low, high = connection.ops.integer_field_range(field.get_internal_type())
            if (low is not None and value < low) or (high is not None and value > high):
                return False
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            value.astimezone(datetime.UTC)  # year 1 or 9999 with an offset overflows
        field.get_db_prep_value(value, connection, prepared=False)
    except (ValidationError, ValueError, TypeError, OverflowError, decimal.InvalidOperation):
        return False
    return True


class CursorPagination(pagination.CursorPagination):
    """Opaque cursors; `?page_size=` up to 100. Views set `ordering` (newest first by default).

    A cursor is data the client can forge: its position is checked against the type of the
    first ordering key before it reaches the database, for every list, so a tampered cursor is
    a 400 `invalid_cursor` (DRF answers a 404, or lets the database fail: a 500)."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-created_at", "-id")

    def get_ordering(self, request, queryset, view):
        # DRF only reads an OrderingFilter; our views declare their order as `ordering`.
        ordering = getattr(view, "ordering", None)
        if ordering:
            return (ordering,) if isinstance(ordering, str) else tuple(ordering)
        return super().get_ordering(request, queryset, view)

    def paginate_queryset(self, queryset, request, view=None):
        self._queryset = queryset  # decode_cursor checks the position against its fields
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            querystring = b64decode(encoded.encode("ascii"), validate=True).decode("ascii")
            tokens = parse.parse_qs(querystring, keep_blank_values=True, strict_parsing=True)
            offset = pagination._positive_int(tokens.get("o", ["0"])[0], cutoff=self.offset_cutoff)
            reverse = bool(int(tokens.get("r", ["0"])[0]))
            position = tokens.get("p", [None])[0]
        except (TypeError, ValueError, binascii.Error):
            raise self._invalid() from None
        queryset = getattr(self, "_queryset", None)
        if position is not None and queryset is not None:
            field = _ordering_field(queryset, self.ordering[0])
            if not _position_fits(field, position, connections[queryset.db]):
                raise self._invalid()
        return pagination.Cursor(offset=offset, reverse=reverse, position=position)

    def _invalid(self):
        return invalid_cursor(self.cursor_query_param)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.cursor_query_param:
                parameter["description"] = (
                    "The `next` or `previous` link's cursor, as given; anything else is a 400 "
                    "`invalid_cursor`."
                )
        return parameters
