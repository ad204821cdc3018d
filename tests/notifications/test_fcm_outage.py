"""FCM down for hours (503s and timeouts): the outbox retries each push with exponential
backoff and jitter, capped at an hour, never early and never twice at once, then marks it
failed with the reason; the inbox row is untouched. FCM is faked at its HTTP edge
(`responses`), time is moved with time_machine."""

import json
import random
from datetime import datetime, timedelta

import pytest
import requests
import time_machine

from notifications import dispatch
from notifications.models import Delivery
from services.core import clock
from tests.factories.notifications import DeliveryFactory
from tests.notifications.conftest import FCM_URL, UNAVAILABLE

pytestmark = pytest.mark.django_db

START = datetime.fromisoformat("2026-11-27T10:00:00+00:00")
TTL = timedelta(hours=8)


@pytest.fixture
def fcm_down(fake_fcm):
    """Every send: 503 UNAVAILABLE, or (one in two) no answer before the client's timeout."""
    status, body, _headers = UNAVAILABLE

    def down(request):
        fake_fcm.sent.append(json.loads(request.body))
        if len(fake_fcm.sent) % 2 == 0:
            raise requests.exceptions.ReadTimeout("FCM did not answer in time")
        return status, {"Content-Type": "application/json"}, json.dumps(body)

    fake_fcm.rsps.remove("POST", FCM_URL)
    fake_fcm.rsps.add_callback("POST", FCM_URL, callback=down)
    return fake_fcm


def test_fcm_down_for_hours_retries_with_capped_jittered_backoff_then_fails_with_reason(
    fcm_down, settings
):
    random.seed(16)
    base = settings.NOTIFICATIONS_RETRY_BASE_SECONDS
    with time_machine.travel(START, tick=False) as traveller:
        delivery = DeliveryFactory(expires_at=START + TTL)
        waits: list[float] = []
        while True:
            before = len(fcm_down.sent)
            dispatch.deliver([delivery.pk])
            assert len(fcm_down.sent) == before + 1  # one request per attempt
            delivery.refresh_from_db()
            if delivery.status != Delivery.Status.PENDING:
                break
            wait = (delivery.next_attempt_at - clock.now()).total_seconds()
            waits.append(wait)
            # Not due yet: a task or a sweep running now sends nothing.
            traveller.shift(timedelta(seconds=wait - 1))
            assert dispatch.deliver(dispatch.due_delivery_ids()) == {}
            assert len(fcm_down.sent) == before + 1
            traveller.shift(timedelta(seconds=1))

    # Exponential with jitter over the upper half of each step, capped at an hour.
    for attempt, wait in enumerate(waits, start=1):
        ceiling = min(dispatch.RETRY_MAX_SECONDS, base * 2 ** (attempt - 1))
        assert ceiling / 2 <= wait <= ceiling, (attempt, wait)
    ratios = [w / min(dispatch.RETRY_MAX_SECONDS, base * 2**i) for i, w in enumerate(waits)]
    assert len({round(r, 3) for r in ratios}) > len(ratios) // 2  # jittered, not fixed
    capped = [w for i, w in enumerate(waits) if base * 2**i >= dispatch.RETRY_MAX_SECONDS]
    assert len(capped) >= 2 and max(waits) <= dispatch.RETRY_MAX_SECONDS

    # Given up within the TTL, with the reason; every attempt was one request.
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.error_code == "gave_up"
    assert delivery.last_error.split(":")[0] in ("unavailable", "deadline_exceeded", "unknown")
    assert delivery.attempts == len(fcm_down.sent) == len(waits) + 1
    assert delivery.updated_at < START + TTL
    assert delivery.device.is_active  # FCM's trouble, not the phone's

    # The inbox row was written with the notification and is untouched.
    notification = delivery.notification
    notification.refresh_from_db()
    assert notification.in_inbox and notification.read_at is None
