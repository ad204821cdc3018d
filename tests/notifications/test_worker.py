"""A real Celery worker process on Redis and this test's PostgreSQL database: an
announcement made in an HTTP request reaches the (local, faked) FCM exactly once."""

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from backend.celery import app
from bench.fake_fcm import FakeFcmProcess, service_account_info
from notifications.models import Delivery, Notification
from tests.conftest import client_for
from tests.factories.notifications import DeviceFactory

ROOT = Path(django_settings.BASE_DIR)


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


@pytest.fixture
def fake_fcm_server():
    with FakeFcmProcess() as fake:
        yield fake


@pytest.fixture
def worker(fake_fcm_server, tmp_path):
    """`celery -A backend worker` on its own queue (other runs may share Redis)."""
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
    queue = f"notifications-test-{uuid.uuid4().hex[:8]}"
    key_file = tmp_path / "service-account.json"
    key_file.write_text(json.dumps(service_account_info(token_uri=f"{fake_fcm_server.url}/token")))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.notifications.worker_settings",
        "NOTIFICATIONS_TEST_QUEUE": queue,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "FIREBASE_CREDENTIALS": str(key_file),
        "FCM_ENDPOINT": fake_fcm_server.url,
        "DEBUG": "false",
    }
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "backend",
            "worker",
            "-Q",
            queue,
            "--concurrency",
            "2",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "info",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url", "task_default_queue")}
    app.conf.update(task_always_eager=False, broker_url=redis_url, task_default_queue=queue)
    # An eager task run by an earlier test built the app's AMQP routing (default queue
    # "celery") and cached it: forget it, or this test's tasks never reach its worker.
    app.__dict__.pop("amqp", None)
    app._pool = None
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        app.conf.update(saved)
        app.__dict__.pop("amqp", None)
        app._pool = None
        print((tmp_path / "worker.log").read_text()[-6000:])  # shown when the test fails


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_notification_made_in_a_request_reaches_fcm_once(world, worker, fake_fcm_server):
    from notifications.tasks import send_deliveries, sweep_pending_deliveries

    device = DeviceFactory(user=world.tenant_a.user)
    response = client_for(world.staff_a.user).post(
        "/api/v1/announcements/",
        {
            "title": "Coupure d'eau",
            "body": "Jeudi de 9 h à 12 h.",
            "residences": [str(world.residence_a.public_id)],
        },
        format="json",
    )
    assert response.status_code == 202

    stats = fake_fcm_server.wait_for(lambda s: device.identifier in s["accepted"], timeout=30)
    assert stats["accepted"] == {device.identifier: 1}
    assert Notification.objects.get().recipient == world.tenant_a.user
    delivery = Delivery.objects.get()
    for _ in range(50):  # the worker records the outcome just after FCM answered
        delivery.refresh_from_db()
        if delivery.status == "sent":
            break
        time.sleep(0.1)
    assert (delivery.status, delivery.attempts) == ("sent", 1)

    # The same delivery handed to the worker again, and a sweep: still once.
    send_deliveries.delay([delivery.pk])
    send_deliveries.delay([delivery.pk])
    sweep_pending_deliveries.delay()
    time.sleep(2)
    assert fake_fcm_server.stats()["accepted"] == {device.identifier: 1}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)
