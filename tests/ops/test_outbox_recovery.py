"""How fast the outbox takes up its work again after a fault (docs/operations.md, "Chaos
benchmark"): a fan-out that loses the database waits for it in its own process and goes on
as soon as it answers (no sweep to wait for; a push batch does the same:
tests/notifications/test_dispatch.py), and the sweep and the fan-outs never wait behind
queued push batches on Redis."""

import os
import uuid

import pytest
from django.db import connection
from kombu import Connection

from backend.celery import app
from notifications import outbox
from notifications.models import Announcement, Notification
from notifications.tasks import PERIODIC_TASKS, SWEEP_EVERY_SECONDS, fan_out_announcement
from tests.ops.test_faults import terminate


def _cut_once_at(fragment: str):
    """An execute wrapper that cuts this process's connection (what a PostgreSQL restart
    does) just before the first query containing `fragment`; `cuts` says if it did."""
    cuts: list[str] = []

    def wrapper(execute, sql, params, many, context):
        if not cuts and fragment in sql:
            cuts.append(sql)
            terminate(connection.connection.info.backend_pid)
        return execute(sql, params, many, context)

    return wrapper, cuts


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_fan_out_that_loses_the_database_goes_on_when_it_answers(world):
    # As announcement_create writes it, its task not run yet.
    announcement = Announcement.objects.create(
        landlord=world.staff_a.landlord,
        author=world.staff_a.user,
        title="Coupure d'eau",
        body="Jeudi 9 h - 12 h.",
    )
    wrapper, cuts = _cut_once_at('INSERT INTO "notifications_notification"')
    with connection.execute_wrapper(wrapper):
        fan_out_announcement(announcement.pk)  # the task itself, as a worker runs it
    assert cuts
    announcement.refresh_from_db()
    assert (announcement.status, announcement.recipients_count) == ("done", 2)
    assert Notification.objects.count() == 2  # the failed chunk rolled back, written once


def test_the_sweep_never_runs_late_back_to_back():
    """A sweep still queued when the next is due is dropped: after an outage, the queued
    ones do not run in a burst, each handing the same deliveries over again."""
    entry = PERIODIC_TASKS[outbox.SWEEP_PENDING_DELIVERIES]
    assert entry["options"]["expires"] == entry["schedule"] == SWEEP_EVERY_SECONDS


@pytest.fixture
def redis_queue():
    """This app publishing to a queue of its own on the test Redis (not eager)."""
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
    queue = f"outbox-order-{uuid.uuid4().hex[:8]}"
    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url", "task_default_queue")}
    app.conf.update(task_always_eager=False, broker_url=redis_url, task_default_queue=queue)
    app.__dict__.pop("amqp", None)  # routing built for the eager default queue: rebuilt
    app._pool = None
    try:
        with Connection(redis_url) as broker:
            yield broker.SimpleQueue(queue, no_ack=True)
    finally:
        with Connection(redis_url) as broker:
            broker.default_channel.queue_purge(queue)
        app.conf.update(saved)
        app.__dict__.pop("amqp", None)
        app._pool = None


@pytest.mark.celery_worker
def test_the_sweep_and_fan_outs_are_taken_before_queued_push_batches(redis_queue):
    """Thousands of push batches queued (a big announcement, a backlog after an outage)
    must not delay the sweep, which retakes a dead worker's or a lost task's work, nor an
    announcement's fan-out: on Redis they are served first, whatever the queue's length."""
    outbox.deliveries_send(list(range(1, 1501)))  # 3 batches, queued first
    app.send_task(
        outbox.SWEEP_PENDING_DELIVERIES,
        **PERIODIC_TASKS[outbox.SWEEP_PENDING_DELIVERIES]["options"],
    )
    outbox.announcement_fan_out(42)
    outbox.deliveries_send([1501])

    taken = []
    for _ in range(6):
        message = redis_queue.get(timeout=5)
        args = message.payload[0]
        taken.append((message.headers["task"], args[0] if args else None))
    assert taken == [
        (outbox.SWEEP_PENDING_DELIVERIES, None),
        (outbox.FAN_OUT_ANNOUNCEMENT, 42),
        # Among themselves, first queued first taken.
        *[
            (outbox.SEND_DELIVERIES, ids)
            for ids in (
                list(range(1, 501)),
                list(range(501, 1001)),
                list(range(1001, 1501)),
                [1501],
            )
        ],
    ]
