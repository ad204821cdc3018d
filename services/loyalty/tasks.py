"""Nightly loyalty jobs: thin, idempotent (running one twice changes nothing more)."""

from celery import shared_task
from celery.schedules import crontab

from . import actions


@shared_task(name="loyalty.points_expire")
def points_expire() -> int:
    return actions.points_expire_due()


@shared_task(name="loyalty.points_expiry_warn")
def points_expiry_warn() -> int:
    return actions.points_expiry_warn()


@shared_task(name="loyalty.vouchers_expire")
def vouchers_expire() -> int:
    return actions.vouchers_expire()


@shared_task(name="loyalty.tenancy_anniversaries")
def tenancy_anniversaries() -> int:
    return actions.tenancy_anniversaries_award()


# Collected by backend/celery.py for beat: {entry name: entry}.
PERIODIC_TASKS = {
    "loyalty expiry": {"task": "loyalty.points_expire", "schedule": crontab(hour=2, minute=10)},
    "loyalty expiry warning": {
        "task": "loyalty.points_expiry_warn",
        "schedule": crontab(hour=10, minute=0),
    },
    "loyalty voucher expiry": {
        "task": "loyalty.vouchers_expire",
        "schedule": crontab(hour=2, minute=20),
    },
    "loyalty anniversaries": {
        "task": "loyalty.tenancy_anniversaries",
        "schedule": crontab(hour=9, minute=0),
    },
}
