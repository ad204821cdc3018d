"""Fixed-window counters kept in the database, so every web process shares them."""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from . import clock
from .models import RateCounter


def _locked_counter(key: str, at: datetime) -> RateCounter:
    """The key's row, locked until the caller's transaction ends (created if missing)."""
    while True:
        counter = RateCounter.objects.select_for_update().filter(key=key).first()
        if counter is not None:
            return counter
        try:
            with transaction.atomic():
                # A new row stays locked by this transaction until it commits.
                return RateCounter.objects.create(key=key, window_started_at=at)
        except IntegrityError:
            continue  # a concurrent request created it first: lock theirs


def blocked_until(key: str) -> datetime | None:
    until = RateCounter.objects.filter(key=key).values_list("blocked_until", flat=True).first()
    if until and until > clock.now():
        return until
    return None


@transaction.atomic
def hit(key: str, *, limit: int, window: timedelta, block_for: timedelta | None = None) -> bool:
    """Count one event; True when the key is now over its limit (and blocked if asked)."""
    at = clock.now()
    counter = _locked_counter(key, at)
    if counter.blocked_until and counter.blocked_until > at:
        return True  # blocked while this request waited for the lock
    if counter.window_started_at + window <= at:
        counter.count = 0
        counter.window_started_at = at
    counter.count += 1
    over = counter.count > limit if block_for is None else counter.count >= limit
    if over and block_for is not None:
        counter.blocked_until = at + block_for
        counter.count = 0
        counter.window_started_at = at
    counter.save(update_fields=["count", "window_started_at", "blocked_until"])
    return over


def reset(key: str) -> None:
    # Zeroed rather than deleted: concurrent requests may be waiting on this row's lock.
    RateCounter.objects.filter(key=key).update(count=0, blocked_until=None)
