"""Thin Celery tasks: they take ids, make one call, and are safe to run twice."""

import logging
import time
from collections import Counter
from datetime import timedelta

from celery import shared_task
from django.conf import settings

from services.core import periodic

from . import dispatch, email, outbox, selectors, services

logger = logging.getLogger("notifications.sweep")

# Often enough that a killed worker's claims (dispatch.CLAIM_LEASE) and fan-outs are taken
# over within ~30 s; each run is a few indexed queries. A run still queued when the next
# is due is dropped (`expires`): queued sweeps never run back to back.
SWEEP_EVERY_SECONDS = 10.0
# A fan-out saves its progress every chunk (about a second apart, and its task runs ahead
# of the queued pushes: backend/settings CELERY_TASK_ROUTES): this long without is a lost
# one. Resuming one that is in fact alive is harmless: each chunk locks the announcement
# row and moves the progress marker, so the two take turns, nobody twice.
ANNOUNCEMENT_IDLE = timedelta(seconds=10)
# A fan-out that loses the database waits for it in its own process (backoff, capped) this
# long, and goes on from its progress marker as soon as it answers; past this, the sweep.
FAN_OUT_DATABASE_WAIT_SECONDS = 60.0


# A push task in a worker then takes the next due deliveries itself for up to this long
# (dispatch.deliver_due), and goes back to the queue (fan-outs and the sweep come first
# there). Not inline (eager: the tests, the in-process queue of `make run`; or called as a
# function): the caller waits for it.
FOLLOW_ON_SECONDS = 5.0


@shared_task(name=outbox.SEND_DELIVERIES, ignore_result=True, bind=True)
def send_deliveries(self, delivery_ids: list[int]) -> dict:
    counts = Counter(dispatch.deliver(delivery_ids))
    seconds = getattr(settings, "NOTIFICATIONS_FOLLOW_ON_SECONDS", FOLLOW_ON_SECONDS)
    if seconds > 0 and not (self.request.is_eager or self.request.called_directly):
        counts.update(dispatch.deliver_due(seconds=seconds))
    return dict(counts)


@shared_task(name=outbox.SEND_EMAILS, ignore_result=True)
def send_emails(email_ids: list[int]) -> dict:
    return email.deliver(email_ids)


@shared_task(name=outbox.FAN_OUT_ANNOUNCEMENT, ignore_result=True)
def fan_out_announcement(announcement_id: int) -> None:
    # Each chunk is its own transaction with the progress marker: after a lost connection
    # the call resumes where the last committed chunk left off.
    dispatch.with_database_retry(
        lambda: services.announcement_fan_out(announcement_id=announcement_id),
        until=time.monotonic() + FAN_OUT_DATABASE_WAIT_SECONDS,
        what=f"announcement {announcement_id}'s fan-out",
    )


@shared_task(name=outbox.SWEEP_PENDING_DELIVERIES, ignore_result=True)
def sweep_pending_deliveries() -> int:
    """Re-schedule every due delivery nobody holds (nor was handed over lately), and every
    announcement fan-out that stalled: what a broker outage or a killed worker left
    behind. Claiming (deliveries) and the progress marker (fan-outs) make a duplicate task
    harmless. Returns the number of deliveries re-scheduled.

    One stalled fan-out or one batch that cannot be handed over (eager mode runs it here)
    is logged and counted; the others are still re-scheduled."""
    # No savepoint (atomic=False), so an eager run (make run, the tests) does not send its
    # pushes inside a transaction; the one write (mark_handed_over) is a single UPDATE.
    stalled = selectors.announcement_ids_stalled(idle=ANNOUNCEMENT_IDLE)
    if stalled:
        logger.warning("sweep: resuming stalled announcement fan-outs %s", stalled)
    periodic.each(
        stalled,
        outbox.announcement_fan_out,
        task="notifications.sweep: announcements",
        atomic=False,
    )
    handed_over, _loop = periodic.each(
        outbox.chunks(dispatch.due_delivery_ids()),
        _hand_over,
        task="notifications.sweep: deliveries",
        id_of=lambda chunk: f"deliveries {chunk[0]}..{chunk[-1]}",
        atomic=False,
    )
    # E-mails left due (a lost task, a retry's countdown passed): the same hand-over.
    emails, _loop = periodic.each(
        outbox.chunks(email.due_ids()),
        lambda chunk: outbox.emails_send(chunk) or len(chunk),
        task="notifications.sweep: e-mails",
        id_of=lambda chunk: f"e-mails {chunk[0]}..{chunk[-1]}",
        atomic=False,
    )
    if handed_over or emails:
        logger.info("sweep: handed over %s due deliveries, %s due e-mails", handed_over, emails)
    return handed_over + emails


def _hand_over(delivery_ids: list[int]) -> int:
    dispatch.mark_handed_over(delivery_ids)  # not again for dispatch.HANDED_OVER_HOLD
    outbox.deliveries_send(delivery_ids)
    return len(delivery_ids)


# Collected by backend/celery.py for beat: {entry name: entry}.
PERIODIC_TASKS = {
    outbox.SWEEP_PENDING_DELIVERIES: {
        "task": outbox.SWEEP_PENDING_DELIVERIES,
        "schedule": SWEEP_EVERY_SECONDS,
        "options": {"expires": SWEEP_EVERY_SECONDS},
    },
}
