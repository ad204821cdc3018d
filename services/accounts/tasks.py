"""Nightly accounts job: thin and idempotent (running it twice changes nothing more)."""

from dataclasses import asdict

from celery import shared_task
from celery.schedules import crontab

from . import tenancy_end


@shared_task(name="accounts.moving_out")
def moving_out() -> dict:
    """Advance notices of tenancies ending, memberships ended, accounts closed."""
    report = tenancy_end.tenancies_moving_out()
    return {**asdict(report), "failed": len(report.failed)}


# Collected by backend/celery.py for beat: {entry name: entry}.
PERIODIC_TASKS = {
    "accounts moving out": {
        "task": "accounts.moving_out",
        "schedule": crontab(hour=1, minute=40),
    },
}
