"""Housekeeping of the shared kernel."""

from celery import shared_task
from celery.schedules import crontab

from backend.celery import periodic_tasks

from .idempotency import purge_expired


@shared_task(name="core.purge_idempotency_records")
def purge_idempotency_records() -> int:
    return purge_expired()


@periodic_tasks
def _schedule(sender, **kwargs) -> None:
    sender.add_periodic_task(
        crontab(minute=17), purge_idempotency_records.s(), name="purge idempotency records"
    )
