"""Thin Celery tasks: they take ids, make one call, and are safe to run twice."""

from celery import shared_task

from backend.celery import periodic_tasks

from . import dispatch, services

SWEEP_EVERY_SECONDS = 60.0


@shared_task(name="notifications.send_deliveries", ignore_result=True)
def send_deliveries(delivery_ids: list[int]) -> dict:
    return dispatch.deliver(delivery_ids)


@shared_task(name="notifications.fan_out_announcement", ignore_result=True)
def fan_out_announcement(announcement_id: int) -> None:
    services.announcement_fan_out(announcement_id=announcement_id)


@shared_task(name="notifications.sweep_pending_deliveries", ignore_result=True)
def sweep_pending_deliveries() -> int:
    """Re-schedule every due delivery nobody holds: what a broker outage or a killed worker
    left behind. Claiming makes a duplicate task harmless."""
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
