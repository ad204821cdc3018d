"""Thin, idempotent Celery tasks; the logic lives in actions so tests drive it directly."""

from celery import shared_task

from . import actions


@shared_task(name="volunteering.expire_offers")
def expire_offers() -> int:
    """Lapse offers past their deadline and offer each place to the next in line."""
    return actions.offers_expire()


@shared_task(name="volunteering.send_reminders")
def send_reminders() -> int:
    """The 24 h reminder before a confirmed slot and the follow-up after it; missions whose
    last slot has ended become completed."""
    sent = actions.reminders_send() + actions.followups_send()
    actions.missions_complete()
    return sent


# Collected by backend/celery.py for beat: {entry name: entry}.
PERIODIC_TASKS = {
    "volunteering: lapse offers": {"task": "volunteering.expire_offers", "schedule": 60.0},
    "volunteering: reminders": {"task": "volunteering.send_reminders", "schedule": 600.0},
}
