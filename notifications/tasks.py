"""Thin Celery tasks: they take ids, make one call, and are safe to run twice."""

from datetime import timedelta

from celery import shared_task

from backend.celery import periodic_tasks

from . import dispatch, selectors, services

SWEEP_EVERY_SECONDS = 60.0
# A fan-out saves its progress every chunk (seconds apart): this long without is a lost one.
ANNOUNCEMENT_IDLE = timedelta(minutes=5)


@shared_task(name="notifications.send_deliveries", ignore_result=True)
def send_deliveries(delivery_ids: list[int]) -> dict:
    return dispatch.deliver(delivery_ids)


@shared_task(name="notifications.fan_out_announcement", ignore_result=True)
def fan_out_announcement(announcement_id: int) -> None:
    services.announcement_fan_out(announcement_id=announcement_id)


@shared_task(name="notifications.sweep_pending_deliveries", ignore_result=True)
def sweep_pending_deliveries() -> int:
    """Re-schedule every due delivery nobody holds, and every announcement fan-out that
    stalled: what a broker outage or a killed worker left behind. Claiming (deliveries)
    and the progress marker (fan-outs) make a duplicate task harmless. Returns the number
    of deliveries re-scheduled."""
    for announcement_id in selectors.announcement_ids_stalled(idle=ANNOUNCEMENT_IDLE):
        fan_out_announcement.delay(announcement_id)
    ids = dispatch.due_delivery_ids()
    for chunk in dispatch.chunks(ids):
        send_deliveries.delay(chunk)
    return len(ids)


@periodic_tasks
def register_periodic_tasks(sender, **kwargs) -> None:
    sender.add_periodic_task(
        SWEEP_EVERY_SECONDS,
        sender.signature("notifications.sweep_pending_deliveries"),
        name="notifications.sweep_pending_deliveries",
    )
