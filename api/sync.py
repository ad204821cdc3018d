"""The sync walk of the lists a phone keeps (docs/sync.md): parse `updated_since`, `sync` and
the walk's cursor, ask the area's sync source (`services.core.sync`) for one page, render
live rows with the list's serializer and removed ones as tombstones.

A list request is a sync walk when it carries `updated_since` (incremental) or `sync=true`
(first sync). Every page of a walk answers `server_time`, the time the walk started by the
server's clock: the next incremental sync sends it back as `updated_since`."""

from __future__ import annotations

import binascii
import datetime
import uuid
from base64 import urlsafe_b64decode, urlsafe_b64encode
from collections.abc import Callable
from urllib import parse

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from api.filters import InvalidUpdatedSince, parse_updated_since
from api.pagination import invalid_cursor
from api.schema import ErrorOutput
from services.core import clock
from services.core import sync as core_sync
from services.core.errors import invalid

SYNC_PARAMETERS = [
    OpenApiParameter(
        "updated_since",
        OpenApiTypes.DATETIME,
        description=(
            "Incremental sync (docs/sync.md): the rows changed since this time and the rows "
            "that left your view as `{id, removed: true, removed_at}`, newest first. Send "
            "back the `server_time` of your previous sync. Older than 90 days: 410 "
            "`sync_expired` (sync again from scratch); ahead of the server's clock or "
            "absurd: 400 `invalid_updated_since`."
        ),
    ),
    OpenApiParameter(
        "sync",
        OpenApiTypes.BOOL,
        description=(
            "`true`: a first sync (every row, newest first, a walk that misses and repeats "
            "nothing while rows change), answering `server_time`."
        ),
    ),
]

_FALSE = {"", "0", "false", "False", "no"}


def requested(request) -> bool:
    params = request.query_params
    return bool(params.get("updated_since")) or params.get("sync", "") not in _FALSE


class SyncRemovedOutput(serializers.Serializer):
    """A row that left your view (deleted, closed, cancelled, no longer for you): drop it."""

    id = serializers.UUIDField()
    removed = serializers.BooleanField(help_text="Always true: this row left your view.")
    removed_at = serializers.DateTimeField()


_TIME = serializers.DateTimeField()


def _since(request, now: datetime.datetime) -> datetime.datetime | None:
    raw = request.query_params.get("updated_since")
    if not raw:
        return None
    since = parse_updated_since(raw)
    if since > now + core_sync.SKEW_TOLERANCE:
        message = str(AheadOfServer.default_message)
        raise AheadOfServer(fields={"updated_since": [message]})
    if since < now - core_sync.HORIZON:
        raise core_sync.SyncExpired()
    return since


AheadOfServer = invalid(
    InvalidUpdatedSince.code,
    _("updated_since is ahead of the server's clock: send the server_time of your last sync."),
)


def _encode(started: datetime.datetime, after: tuple[datetime.datetime, uuid.UUID]) -> str:
    query = parse.urlencode(
        {"t": started.isoformat(), "c": after[0].isoformat(), "p": after[1].hex}
    )
    return urlsafe_b64encode(query.encode("ascii")).decode("ascii")


def _decode(raw: str, now: datetime.datetime):
    """(the walk's start, the key to continue after); anything we did not issue is a 400."""
    try:
        text = urlsafe_b64decode(raw.encode("ascii")).decode("ascii")
        tokens = parse.parse_qs(text, strict_parsing=True)
        started = datetime.datetime.fromisoformat(tokens["t"][0])
        created = datetime.datetime.fromisoformat(tokens["c"][0])
        pid = uuid.UUID(hex=tokens["p"][0])
        if started.tzinfo is None or created.tzinfo is None:
            raise ValueError
        started.astimezone(datetime.UTC), created.astimezone(datetime.UTC)
    except (ValueError, KeyError, IndexError, UnicodeError, binascii.Error, OverflowError):
        raise invalid_cursor() from None
    if started > now + core_sync.SKEW_TOLERANCE or created.year < 2000 or created > started:
        raise invalid_cursor()
    if started < now - core_sync.HORIZON:
        raise core_sync.SyncExpired()
    return started, (created, pid)


def _page_size(request) -> int:
    try:
        value = int(request.query_params.get("page_size", 20))
    except ValueError:
        value = 20
    return max(1, min(value, 100))


def respond(
    request, source: core_sync.Source, render: Callable[[list], list], *, started=None
) -> Response:
    """One page of the walk: `{next, previous: null, server_time, results}`; `results` holds
    the live rows as `render(rows)` gives them and the removed ones as tombstones."""
    now = clock.now()
    since = _since(request, now)
    raw = request.query_params.get("cursor")
    started, after = _decode(raw, now) if raw else (now, None)
    page = core_sync.page(source, since=since, after=after, limit=_page_size(request))
    rows = [item for item in page.items if not isinstance(item, core_sync.Removed)]
    rendered = iter(render(rows))
    results = [
        SyncRemovedOutput(item).data if isinstance(item, core_sync.Removed) else next(rendered)
        for item in page.items
    ]
    url = request.build_absolute_uri()
    next_url = None
    if page.next_after is not None:
        next_url = replace_query_param(url, "cursor", _encode(started, page.next_after))
    elif raw:
        url = remove_query_param(url, "cursor")
    return Response(
        {
            "next": next_url,
            "previous": None,
            "server_time": _TIME.to_representation(started),
            "results": results,
        }
    )


def sync_page(row: type[serializers.Serializer], *, name: str):
    """A sync walk's page in the schema: live rows and tombstones."""
    item = PolymorphicProxySerializer(
        component_name=f"{name}SyncItem",
        serializers=[row, SyncRemovedOutput],
        resource_type_field_name=None,
        many=True,
    )
    return inline_serializer(
        name=f"{name}SyncPage",
        fields={
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "server_time": serializers.DateTimeField(
                help_text="When this walk started, by the server's clock: the next `updated_since`."
            ),
            "results": item,
        },
    )


def list_schema(row: type[serializers.Serializer], *, name: str):
    """The list's answer in the schema: its usual page, or a sync walk's page."""
    page = inline_serializer(
        name=f"{name}Page",
        fields={
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": row(many=True),
        },
    )
    return PolymorphicProxySerializer(
        component_name=f"{name}ListOutput",
        serializers=[page, sync_page(row, name=name)],
        resource_type_field_name=None,
    )


GONE = OpenApiResponse(
    ErrorOutput,
    description="`sync_expired`: `updated_since` or the cursor is older than the 90 days "
    "tombstones are kept; drop the list and sync again from scratch.",
)


def responses(page) -> dict:
    """A sync list's documented answers: its page, and the 410 past the horizon."""
    return {200: page, 410: GONE}
