"""Housekeeping of the shared kernel."""

from celery import shared_task
from celery.schedules import crontab

from . import sync
from .idempotency import purge_expired


@shared_task(name="core.purge_idempotency_records")
def purge_idempotency_records() -> int:
    return purge_expired()


@shared_task(name="core.purge_tombstones")
def purge_tombstones() -> int:
    return sync.purge_tombstones()


# Collected by backend/celery.py for beat: {entry name: entry}.
PERIODIC_TASKS = {
    "purge idempotency records": {
        "task": "core.purge_idempotency_records",
        "schedule": crontab(minute=17),
    },
    "purge sync tombstones": {
        "task": "core.purge_tombstones",
        "schedule": crontab(hour=3, minute=40),
    },
}
