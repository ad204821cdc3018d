"""One item at a time, in isolation: the loop every periodic task runs its items through.

A nightly job that stops at its first bad row (an absurd date, a row a constraint refuses)
leaves every item after it undone, for every landlord. `each()` runs the work for one item
inside its own savepoint (its own transaction when none is open), so a failing item rolls
back alone: it is logged with its id and counted, and the loop goes on with the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import transaction

logger = logging.getLogger("services.periodic")

Item = TypeVar("Item")


@dataclass
class Run:
    """What a loop did: `done` items handled (whatever they returned), `total` the sum of
    what the work returned (True counts 1, None 0), `failed` the ids of the items that
    raised."""

    task: str
    done: int = 0
    total: int = 0
    failed: list[Any] = field(default_factory=list)


def _id_of(item: Any) -> Any:
    return getattr(item, "pk", item)


def each(
    items: Iterable[Item],
    work: Callable[[Item], Any],
    *,
    task: str,
    id_of: Callable[[Item], Any] = _id_of,
    atomic: bool = True,
) -> Run:
    """Call `work(item)` for every item, each in its own savepoint. An item that raises is
    rolled back, logged (task, id, traceback) and counted in `failed`; the others go on.

    `task` names the loop in the logs (e.g. "loyalty.points_expire"). `atomic=False` for
    work that writes nothing of ours (handing ids to the broker): no savepoint around it."""
    run = Run(task=task)
    for item in items:
        try:
            if atomic:
                with transaction.atomic():
                    result = work(item)
            else:
                result = work(item)
        except Exception:
            run.failed.append(id_of(item))
            logger.exception("periodic task %s: item %s failed", task, id_of(item))
            continue
        run.done += 1
        run.total += int(result or 0)
    if run.failed:
        logger.error(
            "periodic task %s: %d item(s) failed, %d done; failed ids: %s",
            task,
            len(run.failed),
            run.done,
            run.failed[:50],
        )
    return run
