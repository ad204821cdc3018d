"""Periodic jobs work: thin, idempotent (running one twice changes nothing more)."""

from celery import shared_task
from celery.schedules import crontab

from . import actions, digest


@shared_task(name="jobs.proposals_expire_and_remind")
def proposals_expire_and_remind() -> dict:
    return actions.proposals_expire_and_remind()


@shared_task(name="jobs.proposals_digest_send")
def proposals_digest_send() -> dict:
    return digest.proposals_digest_send()


@shared_task(name="jobs.offers_expire_and_warn")
def offers_expire_and_warn() -> dict:
    return actions.offers_expire_and_warn()


@shared_task(name="jobs.matches_suggest_and_digest")
def matches_suggest_and_digest() -> dict:
    return actions.matches_suggest_and_digest()


@shared_task(name="jobs.staff_weekly_digest")
def staff_weekly_digest() -> int:
    return actions.staff_weekly_digest()


# Collected by backend/celery.py for beat: {entry name: entry}.
PERIODIC_TASKS = {
    "jobs proposals": {
        "task": "jobs.proposals_expire_and_remind",
        "schedule": crontab(hour=7, minute=30),
    },
    # Yesterday's proposals that were not e-mailed at once (digest.py), before the working day.
    "jobs proposals digest": {
        "task": "jobs.proposals_digest_send",
        "schedule": crontab(hour=7, minute=45),
    },
    "jobs offers": {"task": "jobs.offers_expire_and_warn", "schedule": crontab(hour=3, minute=0)},
    "jobs daily digest": {
        "task": "jobs.matches_suggest_and_digest",
        "schedule": crontab(hour=17, minute=30),
    },
    "jobs weekly staff": {
        "task": "jobs.staff_weekly_digest",
        "schedule": crontab(hour=8, minute=0, day_of_week=1),
    },
}
