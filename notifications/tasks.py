"""Thin Celery tasks: they take ids, make one call, and are safe to run twice."""

from datetime import timedelta

from celery import shared_task

from services.core import periodic

from . import dispatch, email, outbox, selectors, services

# Often enough that a killed worker's claims (dispatch.CLAIM_LEASE) and fan-outs are taken
# over within ~30 s; each run is a few indexed queries.
SWEEP_EVERY_SECONDS = 10.0
# A fan-out saves its progress every chunk (well under a second apart): this long without
# is a lost one. Resuming one that is in fact alive is harmless: each chunk locks the
# announcement row and moves the progress marker, so the two take turns, nobody twice.
ANNOUNCEMENT_IDLE = timedelta(seconds=20)


@shared_task(name=outbox.SEND_DELIVERIES, ignore_result=True)
def send_deliveries(delivery_ids: list[int]) -> dict:
    return dispatch.deliver(delivery_ids)


@shared_task(name=outbox.SEND_EMAILS, ignore_result=True)
def send_emails(email_ids: list[int]) -> dict:
    return email.deliver(email_ids)


@shared_task(name=outbox.FAN_OUT_ANNOUNCEMENT, ignore_result=True)
def fan_out_announcement(announcement_id: int) -> None:
    services.announcement_fan_out(announcement_id=announcement_id)


@shared_task(name=outbox.SWEEP_PENDING_DELIVERIES, ignore_result=True)
def sweep_pending_deliveries() -> int:
    """Re-schedule every due delivery nobody holds, and every announcement fan-out that
    stalled: what a broker outage or a killed worker left behind. Claiming (deliveries)
    and the progress marker (fan-outs) make a duplicate task harmless. Returns the number
    of deliveries re-scheduled.

    One stalled fan-out or one batch that cannot be handed over (eager mode runs it here)
    is logged and counted; the others are still re-scheduled."""
    # Handing ids to the broker writes nothing: no savepoint (atomic=False), so an eager
    # run (make run, the tests) does not send its pushes inside a transaction.
    periodic.each(
        selectors.announcement_ids_stalled(idle=ANNOUNCEMENT_IDLE),
        outbox.announcement_fan_out,
        task="notifications.sweep: announcements",
        atomic=False,
    )
    handed_over, _loop = periodic.each(
        outbox.chunks(dispatch.due_delivery_ids()),
        lambda chunk: outbox.deliveries_send(chunk) or len(chunk),
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
    return handed_over + emails


# Collected by backend/celery.py for beat: {entry name: entry}.
PERIODIC_TASKS = {
    outbox.SWEEP_PENDING_DELIVERIES: {
        "task": outbox.SWEEP_PENDING_DELIVERIES,
        "schedule": SWEEP_EVERY_SECONDS,
    },
}
