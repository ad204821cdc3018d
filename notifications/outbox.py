"""Handing outbox work to the worker: the one place that schedules notification tasks.

Deliveries and announcements are rows written in the caller's transaction; the tasks that
act on them are scheduled here, after commit. Tasks are named, not imported, so the modules
that write rows (services, devices, dispatch) never import tasks.py, which imports them.
`celery.signature(name)` resolves the registered task when it is sent, so eager mode (the
tests, `make run`) runs it in-process as usual.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial

from celery import signature
from django.db import transaction

SEND_DELIVERIES = "notifications.send_deliveries"
FAN_OUT_ANNOUNCEMENT = "notifications.fan_out_announcement"
SWEEP_PENDING_DELIVERIES = "notifications.sweep_pending_deliveries"
SEND_EMAILS = "notifications.send_emails"

BATCH = 500  # ids per task: one FCM send_each batch at most


def chunks(ids: Sequence[int], size: int = BATCH) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def deliveries_send(delivery_ids: Sequence[int], *, countdown: float | None = None) -> None:
    """Send now (the sweep) or after `countdown` seconds (a retry), in batches."""
    for chunk in chunks(delivery_ids):
        signature(SEND_DELIVERIES, args=(chunk,)).apply_async(countdown=countdown)


def deliveries_send_on_commit(delivery_ids: Sequence[int]) -> None:
    """After the caller's transaction commits (a rollback sends nothing)."""
    for chunk in chunks(delivery_ids):
        transaction.on_commit(partial(signature(SEND_DELIVERIES, args=(chunk,)).delay))


def announcement_fan_out(announcement_id: int) -> None:
    signature(FAN_OUT_ANNOUNCEMENT, args=(announcement_id,)).delay()


def announcement_fan_out_on_commit(announcement_id: int) -> None:
    transaction.on_commit(partial(signature(FAN_OUT_ANNOUNCEMENT, args=(announcement_id,)).delay))


def emails_send(email_ids: Sequence[int], *, countdown: float | None = None) -> None:
    for chunk in chunks(email_ids):
        signature(SEND_EMAILS, args=(chunk,)).apply_async(countdown=countdown)


def emails_send_on_commit(email_ids: Sequence[int]) -> None:
    """After the caller's transaction commits (a rollback sends nothing)."""
    for chunk in chunks(email_ids):
        transaction.on_commit(partial(signature(SEND_EMAILS, args=(chunk,)).delay))
