"""Nightly loyalty jobs: thin, idempotent (running one twice changes nothing more)."""

from celery.schedules import crontab

from backend.celery import app, periodic_tasks

from . import actions


@app.task(name="loyalty.points_expire")
def points_expire() -> int:
    return actions.points_expire_due()


@app.task(name="loyalty.points_expiry_warn")
def points_expiry_warn() -> int:
    return actions.points_expiry_warn()


@app.task(name="loyalty.vouchers_expire")
def vouchers_expire() -> int:
    return actions.vouchers_expire()


@app.task(name="loyalty.tenancy_anniversaries")
def tenancy_anniversaries() -> int:
    return actions.tenancy_anniversaries_award()


@periodic_tasks
def _schedule(sender, **kwargs) -> None:
    sender.add_periodic_task(crontab(hour=2, minute=10), points_expire.s(), name="loyalty expiry")
    sender.add_periodic_task(
        crontab(hour=10, minute=0), points_expiry_warn.s(), name="loyalty expiry warning"
    )
    sender.add_periodic_task(
        crontab(hour=2, minute=20), vouchers_expire.s(), name="loyalty voucher expiry"
    )
    sender.add_periodic_task(
        crontab(hour=9, minute=0), tenancy_anniversaries.s(), name="loyalty anniversaries"
    )
