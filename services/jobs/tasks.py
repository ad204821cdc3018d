"""Periodic jobs work: thin, idempotent (running one twice changes nothing more)."""

from celery.schedules import crontab

from backend.celery import app, periodic_tasks

from . import actions


@app.task(name="jobs.proposals_expire_and_remind")
def proposals_expire_and_remind() -> dict:
    return actions.proposals_expire_and_remind()


@app.task(name="jobs.offers_expire_and_warn")
def offers_expire_and_warn() -> dict:
    return actions.offers_expire_and_warn()


@app.task(name="jobs.matches_suggest_and_digest")
def matches_suggest_and_digest() -> dict:
    return actions.matches_suggest_and_digest()


@app.task(name="jobs.staff_weekly_digest")
def staff_weekly_digest() -> int:
    return actions.staff_weekly_digest()


@periodic_tasks
def _schedule(sender, **kwargs) -> None:
    sender.add_periodic_task(
        crontab(hour=7, minute=30), proposals_expire_and_remind.s(), name="jobs proposals"
    )
    sender.add_periodic_task(
        crontab(hour=3, minute=0), offers_expire_and_warn.s(), name="jobs offers"
    )
    sender.add_periodic_task(
        crontab(hour=17, minute=30), matches_suggest_and_digest.s(), name="jobs daily digest"
    )
    sender.add_periodic_task(
        crontab(hour=8, minute=0, day_of_week=1), staff_weekly_digest.s(), name="jobs weekly staff"
    )
