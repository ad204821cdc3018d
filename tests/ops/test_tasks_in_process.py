"""Without a broker (`make run`), tasks leave the request for a thread of the process; what a
stopped process left is picked up at the next start; a broker that is down never fails the
request that scheduled a task."""

import threading
import time

import pytest
from celery import signature

from backend import taskqueue
from backend.celery import app
from notifications.models import Announcement, Delivery, Notification
from tests.conftest import client_for
from tests.factories.notifications import DeliveryFactory, DeviceFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def in_process(settings):
    """This process as `make run` has it: no broker, not eager, a fresh runner thread."""
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url")}
    app.conf.update(task_always_eager=False, broker_url="memory://")
    settings.TASKS_IN_PROCESS = True
    runner = taskqueue.InProcessRunner(app)
    taskqueue._runners[id(app)] = runner
    yield runner
    runner.stop()
    taskqueue._runners.pop(id(app), None)
    app.conf.update(saved)


def hold(runner) -> threading.Event:
    """Keep the runner busy until the returned event is set."""
    release = threading.Event()
    started = threading.Event()

    def blocker():
        started.set()
        release.wait(30)

    runner._push(0, blocker)
    assert started.wait(10)
    return release


def test_an_announcement_answers_before_its_fan_out_runs(in_process, world):
    DeviceFactory(user=world.tenant_a.user)
    release = hold(in_process)
    response = client_for(world.staff_a.user).post(
        "/api/v1/announcements/",
        {"title": "Coupure d'eau", "body": "Jeudi de 9 h à 12 h."},
        format="json",
    )
    # Answered while the only thread that could fan it out is still busy.
    assert response.status_code == 202
    announcement = Announcement.objects.get()
    assert announcement.status == Announcement.Status.PENDING
    assert not Notification.objects.exists()

    release.set()
    assert in_process.drain(30)
    announcement.refresh_from_db()
    assert announcement.status == Announcement.Status.DONE
    recipients = set(Notification.objects.values_list("recipient_id", flat=True))
    assert recipients == {world.tenant_a.user_id, world.tenant_a2.user_id}
    # The pushes the fan-out scheduled ran on the same thread, through the log channel.
    assert Delivery.objects.get().status == Delivery.Status.SENT


def test_tasks_sent_by_name_with_a_countdown_wait_their_turn(in_process, world):
    delivery = DeliveryFactory()
    signature("notifications.send_deliveries", args=([delivery.pk],)).apply_async(countdown=1.5)
    assert in_process.drain(5)  # nothing due: returns at once, the retry still waits
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING
    time.sleep(1.6)
    assert in_process.drain(10)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT


def test_what_a_stopped_process_left_is_sent_at_the_next_start(in_process, world):
    # Deliveries written, then the process stopped before its thread sent them.
    left = DeliveryFactory.create_batch(3)
    assert {d.status for d in left} == {Delivery.Status.PENDING}

    in_process.start_periodic()  # what backend/wsgi.py does when the next process starts
    assert in_process.drain(30)
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}


def test_a_task_failing_in_the_thread_does_not_stop_the_others(in_process, world):
    delivery = DeliveryFactory()
    signature("notifications.no_such_task").delay()
    signature("notifications.send_deliveries", args=([delivery.pk],)).delay()
    assert in_process.drain(10)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT


# --------------------------------------------------------------------------- broker down


@pytest.fixture
def broker_down(settings):
    """Redis configured but not answering: a port where nothing listens."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url")}
    app.conf.update(task_always_eager=False, broker_url=f"redis://127.0.0.1:{port}/13")
    settings.TASKS_IN_PROCESS = False
    forget_connections()
    yield
    app.conf.update(saved)
    forget_connections()


def forget_connections():
    # The app caches its AMQP setup and connection pool for the broker it first used.
    app.__dict__.pop("amqp", None)
    app._pool = None


def test_with_the_broker_down_the_api_keeps_answering_and_writing(broker_down, world):
    from prometheus_client import REGISTRY

    def failures():
        labels = {"task": "notifications.fan_out_announcement"}
        return REGISTRY.get_sample_value("voisinage_task_publish_failures_total", labels) or 0

    before = failures()
    response = client_for(world.staff_a.user).post(
        "/api/v1/announcements/",
        {"title": "Coupure d'eau", "body": "Jeudi de 9 h à 12 h."},
        format="json",
    )
    assert response.status_code == 202, response.content
    # Written, waiting for the sweep (stalled fan-outs are re-scheduled once Redis is back).
    announcement = Announcement.objects.get(public_id=response.json()["id"])
    assert announcement.status == Announcement.Status.PENDING
    assert failures() == before + 1

    ready = client_for(None).get("/readyz")
    assert ready.status_code == 200  # degraded, still serving
    body = ready.json()
    assert body["status"] == "degraded"
    assert body["down"] == ["broker"]
    assert body["checks"] == {"database": "ok", "broker": "unavailable"}
