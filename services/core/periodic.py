"""One item at a time, in isolation: how every periodic task walks its items.

A nightly job that stops at its first bad row (an absurd date that overflows, a row the
database refuses) leaves every item after it undone, for every landlord. Each item's work
runs inside its own savepoint (its own transaction when none is open): an item that raises
is rolled back alone, logged with its id and counted, and the loop goes on with the others.

    loop = periodic.Loop("loyalty.points_expire")
    for account in accounts:
        with loop.item(account.pk):
            ...  # what one account needs; `continue` works as usual

`each()` does the same for a function over an iterable, `each_in_batches()` for set-based
work over ids (a failing batch is retried id by id, so only the bad id stays undone).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction
from prometheus_client import Counter

logger = logging.getLogger("services.periodic")

Item = TypeVar("Item")

# Served at /metrics with the other counters (backend/observability/metrics.py).
ITEM_FAILURES = Counter(
    "voisinage_periodic_item_failures_total",
    "Items a periodic task could not process (each logged with its id; the others went on).",
    ["task"],
)


class Loop:
    """The failures of one periodic loop: `failed` holds the ids of the items that raised,
    `done` counts those that went through."""

    def __init__(self, task: str) -> None:
        self.task = task  # e.g. "loyalty.points_expire", as the logs name it
        self.done = 0
        self.failed: list[Any] = []

    @contextmanager
    def item(
        self,
        item_id: Any,
        *,
        skip: type[BaseException] | tuple[type[BaseException], ...] = (),
        atomic: bool = True,
    ) -> Iterator[None]:
        """One item's work, in its own savepoint. An exception is rolled back, logged with
        the item's id and counted, and swallowed so the loop goes on; one of `skip` (an
        expected race, e.g. a state that moved meanwhile) is rolled back silently.
        `atomic=False` for work that writes nothing of ours (handing ids to the broker)."""
        try:
            if atomic:
                with transaction.atomic():
                    yield
            else:
                yield
        except skip:
            return
        except SoftTimeLimitExceeded:  # the whole task is out of time, not this item
            raise
        except Exception:
            self.failed.append(item_id)
            ITEM_FAILURES.labels(task=self.task).inc()
            logger.exception(
                "periodic task %s: item %s failed (%d failed so far in this run)",
                self.task,
                item_id,
                len(self.failed),
            )
            return
        self.done += 1


def _id_of(item: Any) -> Any:
    return getattr(item, "pk", item)


def each(
    items: Iterable[Item],
    work: Callable[[Item], Any],
    *,
    task: str,
    id_of: Callable[[Item], Any] = _id_of,
    atomic: bool = True,
) -> tuple[int, Loop]:
    """`work(item)` for every item through a Loop; returns (the sum of what the work
    returned, True counting 1 and None 0, over the items that went through; the loop)."""
    loop = Loop(task)
    total = 0
    for item in items:
        with loop.item(id_of(item), atomic=atomic):
            total += int(work(item) or 0)
    return total, loop


def each_in_batches(
    ids: Sequence[Any], work: Callable[[list[Any]], int], *, task: str, size: int = 500
) -> tuple[int, Loop]:
    """Set-based `work(ids) -> count` a batch at a time; a batch that fails is retried id by
    id, so one bad row leaves only itself undone. Returns (the sum of the counts, the loop)."""
    loop = Loop(task)
    total = 0
    for start in range(0, len(ids), size):
        batch = list(ids[start : start + size])
        try:
            with transaction.atomic():
                total += work(batch)
            loop.done += len(batch)
            continue
        except SoftTimeLimitExceeded:
            raise
        except Exception:
            if len(batch) == 1:
                loop.failed.append(batch[0])
                ITEM_FAILURES.labels(task=task).inc()
                logger.exception("periodic task %s: item %s failed", task, batch[0])
                continue
        for one in batch:
            with loop.item(one):
                total += work([one])
    return total, loop
