"""Attempt limits kept in the database, so every web process shares them.

Every limit in the project goes through `attempt()`: the attempt is counted against each of
its limits, atomically (their rows locked in key order) and committed, *before* the caller
evaluates it. N parallel requests therefore never see the same stale count, and no more than
`limit` attempts per window are ever evaluated. An attempt that turns out not to be a failure
(the right password, a valid code) gives its count back afterwards.
"""

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from . import clock
from .models import RateCounter


@dataclass(frozen=True)
class Limit:
    """At most `limit` attempts per `window`; reaching it refuses the key for `window`."""

    key: str
    limit: int
    window: timedelta


class LimitReached(Exception):
    def __init__(self, limit: Limit, until: datetime):
        super().__init__(limit.key)
        self.limit = limit
        self.until = until

    @property
    def retry_after(self) -> int:
        """Whole seconds until the key is allowed again (at least 1)."""
        return max(1, math.ceil((self.until - clock.now()).total_seconds()))


def _locked(limits: tuple[Limit, ...], at: datetime) -> list[tuple[Limit, RateCounter]]:
    """The limits' rows, created if missing, locked in key order so that requests sharing
    some keys (login: account, client, both) cannot deadlock."""
    by_key = {limit.key: limit for limit in limits}
    keys = sorted(by_key)
    while True:
        RateCounter.objects.bulk_create(
            [RateCounter(key=key, window_started_at=at) for key in keys], ignore_conflicts=True
        )
        rows = list(RateCounter.objects.select_for_update().filter(key__in=keys).order_by("key"))
        if len(rows) == len(keys):  # else a row was deleted while we waited for its lock
            return [(by_key[row.key], row) for row in rows]


def take(*limits: Limit) -> datetime:
    """Count one attempt against every limit, or against none and raise LimitReached.
    Commits before returning (durable: never inside a caller's transaction, whose rollback
    would forget the count). Returns the moment counted, for `give_back`."""
    at = clock.now()
    with transaction.atomic(durable=True):
        counters = _locked(limits, at)
        for limit, row in counters:
            if row.blocked_until and row.blocked_until > at:
                raise LimitReached(limit, row.blocked_until)
            if row.window_started_at + limit.window <= at:
                row.count, row.window_started_at, row.blocked_until = 0, at, None
            if row.count >= limit.limit:  # a limit lowered since the block was set
                raise LimitReached(limit, row.window_started_at + limit.window)
        for limit, row in counters:
            row.count += 1
            if row.count >= limit.limit:
                row.blocked_until = at + limit.window
            row.save(update_fields=["count", "window_started_at", "blocked_until"])
    return at


def give_back(at: datetime, *limits: Limit) -> None:
    """Un-count an attempt taken at `at` that was not a failure (skipped for a key whose
    window restarted since: the attempt was not counted in that window)."""
    with transaction.atomic(durable=True):
        for limit, row in _locked(limits, at):
            if row.window_started_at > at or row.count == 0:
                continue
            row.count -= 1
            if row.count < limit.limit:
                row.blocked_until = None
            row.save(update_fields=["count", "blocked_until"])


@contextmanager
def attempt(*limits: Limit, failures: tuple[type[BaseException], ...]) -> Iterator[None]:
    """Count the attempt before the body evaluates it; give it back unless the body raises
    one of `failures`. Raises LimitReached, before the body runs, when any limit refuses."""
    at = take(*limits)
    try:
        yield
    except failures:
        raise
    except BaseException:
        give_back(at, *limits)
        raise
    give_back(at, *limits)


def reset(key: str) -> None:
    # Zeroed rather than deleted: concurrent requests may be waiting on this row's lock.
    RateCounter.objects.filter(key=key).update(count=0, blocked_until=None)


def purge_stale(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete counters whose window and block ended long ago (one row per account and client
    that ever failed would otherwise pile up). Safe under concurrency: a row being counted
    is re-checked by the DELETE after its lock, and `_locked` recreates a row deleted meanwhile.
    Every limit's window must be shorter than `older_than`."""
    cutoff = clock.now() - older_than
    stale = RateCounter.objects.filter(window_started_at__lt=cutoff).exclude(
        blocked_until__gte=cutoff
    )
    return stale.delete()[0]
