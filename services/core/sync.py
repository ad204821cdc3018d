"""Sync: how a phone keeps a list up to date (the protocol is in docs/sync.md).

One mechanism for every list a phone keeps. Each area describes its list for one viewer as a
`Source` (in its `sync.py`, next to the selectors that decide visibility):

- `live`: the rows the viewer sees now (the list's selector, nothing else);
- `changed(since)`: which live rows changed since then (default: `updated_at`);
- `gone(since)`: rows still stored that left the view since then (closed, cancelled, out of
  their window...), annotated with `removed_at`: the area's own state-based query;
- `scopes`: the audiences the viewer belongs to, for the rows that left without a trace in
  their table (deleted, or taken away from an audience): `Tombstone` rows written by
  `track_deletes` / `record_removed`.

`page()` walks live rows and removed rows together, newest first on the immutable key
(`created_at`, `public_id`): rows that change between two pages never move, so a walk
misses and repeats nothing; rows created during a walk come in the next sync. A tombstone
names only a row that existed before `since` and that belonged to one of the viewer's
audiences (never another landlord's or tenant's), and never a row the viewer still sees.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Max, Q, QuerySet
from django.db.models.signals import post_delete, pre_delete
from django.utils.translation import gettext_lazy as _

from . import clock, periodic
from .errors import DomainError
from .models import Tombstone

# Tombstones are kept this long; an older `updated_since` or cursor is a 410 `sync_expired`.
HORIZON = datetime.timedelta(days=90)
# Rows are stamped before their transaction commits: an incremental sync looks this far
# before `updated_since`, so a row committed late is never missed (it may come twice).
OVERLAP = datetime.timedelta(seconds=60)
# A phone's `updated_since` ahead of the server's clock by more than this is refused.
SKEW_TOLERANCE = datetime.timedelta(minutes=5)


class SyncExpired(DomainError):
    """410: tombstones older than the horizon are gone; the phone syncs again from scratch."""

    status = 410
    code = "sync_expired"
    default_message = _(
        "This sync point is too old: drop the list and sync it again from the start."
    )


def scope(kind: str, pk) -> str:
    """An audience: `scope("user", 12)` -> "user:12"."""
    return f"{kind}:{pk}"


@dataclass
class Source:
    list_name: str
    live: QuerySet
    scopes: list[str] = field(default_factory=list)
    changed: Callable[[datetime.datetime], Q] = lambda since: Q(updated_at__gte=since)
    gone: Callable[[datetime.datetime], QuerySet] | None = None


@dataclass(frozen=True)
class Removed:
    """A tombstone: the row `id` left the viewer's view at `removed_at`."""

    id: uuid.UUID
    removed_at: datetime.datetime
    created_at: datetime.datetime
    removed: bool = True


@dataclass
class Page:
    items: list  # live rows (model instances) and `Removed`, newest first
    next_after: tuple[datetime.datetime, uuid.UUID] | None  # the key to continue after


def _key(item) -> tuple[datetime.datetime, uuid.UUID]:
    if isinstance(item, Removed):
        return (item.created_at, item.id)
    return (item.created_at, item.public_id)


def _after(qs: QuerySet, after, *, created: str = "created_at", public_id: str = "public_id"):
    if after is None:
        return qs
    at, pid = after
    return qs.filter(Q(**{f"{created}__lt": at}) | Q(**{created: at, f"{public_id}__lt": pid}))


def page(
    source: Source,
    *,
    since: datetime.datetime | None,
    after: tuple[datetime.datetime, uuid.UUID] | None,
    limit: int,
) -> Page:
    """One page of a sync walk: without `since` (a first sync) every live row; with it the
    live rows changed since then and the rows that left the view since then. A fixed number
    of queries whatever the rows (the live one, and with `since` two for the removed)."""
    live = source.live
    removed: list[Removed] = []
    if since is not None:
        window = since - OVERLAP
        logged = Tombstone.objects.filter(
            list_name=source.list_name,
            scope__in=source.scopes,
            removed_at__gte=window,
            row_created_at__lt=since,
        )
        # A row that left and came back is a change too (e.g. an offer targeted again).
        live = live.filter(source.changed(window) | Q(public_id__in=logged.values("public_id")))
        visible = source.live.order_by().values("public_id")
        rows = (
            _after(logged, after, created="row_created_at")
            .exclude(public_id__in=visible)
            .values("public_id", "row_created_at")
            .annotate(at=Max("removed_at"))
            .order_by("-row_created_at", "-public_id")[: limit + 1]
        )
        removed += [Removed(r["public_id"], r["at"], r["row_created_at"]) for r in rows]
        if source.gone is not None:
            gone = (
                _after(source.gone(window), after)
                .filter(created_at__lt=since)
                .exclude(public_id__in=visible)
                .order_by("-created_at", "-public_id")
                .values_list("public_id", "removed_at", "created_at")[: limit + 1]
            )
            removed += [Removed(pid, at, created) for pid, at, created in gone]
    rows = list(_after(live, after).order_by("-created_at", "-public_id")[: limit + 1])
    merged: dict[uuid.UUID, object] = {}
    for item in sorted([*rows, *removed], key=_key, reverse=True):
        pid = item.id if isinstance(item, Removed) else item.public_id
        if pid in merged:  # removed twice (e.g. taken off an audience, then closed)
            kept = merged[pid]
            both = isinstance(kept, Removed) and isinstance(item, Removed)
            if both and item.removed_at > kept.removed_at:
                merged[pid] = item
            continue
        merged[pid] = item
    items = list(merged.values())
    more = len(items) > limit
    items = items[:limit]
    return Page(items=items, next_after=_key(items[-1]) if more and items else None)


# --- Writing tombstones ------------------------------------------------------------------


def record_removed(
    *, list_name: str, public_id: uuid.UUID, created_at, scopes: Iterable[str], at=None
) -> None:
    """The row left these audiences' view without a change its own table shows."""
    record_removed_rows(list_name=list_name, rows=[(public_id, created_at)], scopes=scopes, at=at)


def record_removed_rows(
    *, list_name: str, rows: Iterable[tuple[uuid.UUID, datetime.datetime]], scopes, at=None
) -> None:
    """Rows `(public_id, created_at)` left these audiences' view at once (one insert)."""
    at = at or clock.now()
    scopes = list(dict.fromkeys(scopes))
    Tombstone.objects.bulk_create(
        [
            Tombstone(
                list_name=list_name,
                public_id=public_id,
                scope=s,
                row_created_at=created_at,
                removed_at=at,
            )
            for public_id, created_at in rows
            for s in scopes
        ],
        batch_size=1000,
    )


def track_deletes(
    model: type[models.Model], list_name: str, scopes: Callable[[models.Model], Iterable[str]]
) -> None:
    """Every deletion of a `model` row (a cascade, the admin, an erasure) leaves a tombstone
    for the audiences `scopes(row)` names. Registered by the area's `AppConfig.ready()`."""

    def before(sender, instance, **kwargs):
        # Read while every row is still there (a cascade deletes the links first).
        instance._sync_scopes = list(scopes(instance))

    def after(sender, instance, **kwargs):
        record_removed(
            list_name=list_name,
            public_id=instance.public_id,
            created_at=instance.created_at,
            scopes=getattr(instance, "_sync_scopes", None) or list(scopes(instance)),
        )

    uid = f"sync-tombstone-{list_name}"
    pre_delete.connect(before, sender=model, weak=False, dispatch_uid=uid)
    post_delete.connect(after, sender=model, weak=False, dispatch_uid=uid)


# --- Housekeeping ------------------------------------------------------------------------


def purge_tombstones() -> int:
    """Drop tombstones past the horizon (no sync can ask for them any more: 410)."""
    old = Tombstone.objects.filter(removed_at__lt=clock.now() - HORIZON)

    def purge(ids: list[int]) -> int:
        return old.filter(pk__in=ids).delete()[0]

    ids = list(old.order_by("pk").values_list("pk", flat=True))
    deleted, _loop = periodic.each_in_batches(ids, purge, task="core.purge_tombstones", size=1000)
    return deleted
