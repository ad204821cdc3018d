"""Push claims on the real database: short leases, renewed while the worker is alive (a
heartbeat while the pushes are on the wire), retaken once a dead worker's lease ends, never
while a live worker holds them; outcomes recorded even when the connection was cut
while the pushes were on the wire."""

import itertools
import threading
import time
from datetime import timedelta

import pytest
from django.db import OperationalError, connection

from notifications import dispatch
from notifications.channels import Outcome, PushResult
from notifications.models import Delivery
from services.core import clock
from tests.factories.notifications import DeliveryFactory
from tests.notifications.conftest import FCM_URL
from tests.ops.test_faults import terminate

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LEASE = 0.6  # seconds: the heartbeat renews every 0.2 s


@pytest.fixture
def short_lease(settings):
    settings.NOTIFICATIONS_CLAIM_LEASE_SECONDS = LEASE


def _answer_with(fake_fcm, callback) -> None:
    """FCM's endpoint answered by `callback` (which ends by calling the fake)."""
    fake_fcm.rsps.remove("POST", FCM_URL)
    fake_fcm.rsps.add_callback("POST", FCM_URL, callback=callback)


def _claim_elsewhere(ids) -> list[int]:
    """Another worker's claim, from its own connection."""
    got: list[int] = []

    def run():
        try:
            got.extend(d.pk for d in dispatch.claim(ids))
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return got


def test_a_dead_workers_claim_is_retaken_once_its_lease_ends(short_lease):
    ids = [d.pk for d in DeliveryFactory.create_batch(2)]
    assert [d.pk for d in dispatch.claim(ids)] == ids  # then this worker dies
    assert _claim_elsewhere(ids) == []  # the lease holds
    time.sleep(LEASE + 0.1)
    assert _claim_elsewhere(ids) == ids


def test_a_stalled_worker_whose_claim_was_retaken_does_not_send_it(short_lease):
    ids = [d.pk for d in DeliveryFactory.create_batch(2)]
    token = dispatch.claim(ids)[0].claim_token
    time.sleep(LEASE + 0.1)  # stalled past its lease (no heartbeat: not sending)
    assert _claim_elsewhere(ids) == ids
    assert dispatch.renew(token, ids) == []  # so it sends none of them


def test_the_heartbeat_keeps_a_slow_sends_claim_while_pushes_are_on_the_wire(short_lease, fake_fcm):
    delivery = DeliveryFactory()
    stolen: list[list[int]] = []

    def slow_fcm(request):
        # FCM takes 3 leases to answer; meanwhile other workers try to take the delivery.
        deadline = time.monotonic() + 3 * LEASE
        while time.monotonic() < deadline:
            stolen.append(_claim_elsewhere([delivery.pk]))
            time.sleep(LEASE / 4)
        return fake_fcm(request)

    _answer_with(fake_fcm, slow_fcm)
    assert dispatch.deliver([delivery.pk]) == {"sent": 1}
    assert len(stolen) >= 8 and not any(stolen)
    assert len(fake_fcm.sent) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)


def test_claims_go_out_a_sub_batch_at_a_time_renewed_before_each(settings, fake_fcm):
    settings.NOTIFICATIONS_SEND_BATCH = 2
    ids = [d.pk for d in DeliveryFactory.create_batch(5)]
    recorded_before_each_send: list[int] = []

    def fcm(request):  # runs in the SDK's sending threads: a connection of its own
        try:
            recorded_before_each_send.append(Delivery.objects.filter(status="sent").count())
        finally:
            connection.close()
        return fake_fcm(request)

    _answer_with(fake_fcm, fcm)
    assert dispatch.deliver(ids) == {"sent": 5}
    # The second sub-batch went out after the first one's outcomes were recorded.
    assert sorted(recorded_before_each_send) == [0, 0, 2, 2, 4]


def test_outcomes_are_recorded_although_the_connection_was_cut_during_the_send(fake_fcm, caplog):
    delivery = DeliveryFactory()
    connection.ensure_connection()
    worker_pid = connection.connection.info.backend_pid

    def fcm_while_the_database_restarts(request):
        terminate(worker_pid)  # the worker's connection, in the middle of its share lock
        return fake_fcm(request)

    _answer_with(fake_fcm, fcm_while_the_database_restarts)
    assert dispatch.deliver([delivery.pk]) == {"sent": 1}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert delivery.claimed_until is None
    assert len(fake_fcm.sent) == 1


def test_recording_is_retried_with_backoff_on_a_lost_connection_while_the_claim_holds():
    DeliveryFactory()
    attempts: list[float] = []

    def record():
        attempts.append(time.monotonic())
        if len(attempts) < 3:  # the database is restarting: every new connection cut
            connection.ensure_connection()
            terminate(connection.connection.info.backend_pid)
        return Delivery.objects.count()

    assert dispatch.with_database_retry(record, until=time.monotonic() + 5) == 1
    gaps = [b - a for a, b in itertools.pairwise(attempts)]
    assert len(attempts) == 3 and gaps[0] >= 0.2 and gaps[1] >= 0.4  # backoff


def test_recording_gives_up_when_the_claim_would_have_ended():
    def record():
        connection.ensure_connection()
        terminate(connection.connection.info.backend_pid)
        return Delivery.objects.count()

    started = time.monotonic()
    with pytest.raises(OperationalError):
        dispatch.with_database_retry(record, until=started + 1)
    assert time.monotonic() - started < 1.5
    connection.close()  # left broken, as the task would leave it


class _Channel:
    """FCM answering every push after `seconds`, each push noted in `sent`."""

    def __init__(self, seconds: float, sent: list[int]) -> None:
        self.seconds, self.sent = seconds, sent

    def send(self, messages):
        time.sleep(self.seconds)
        self.sent.extend(m.delivery_id for m in messages)
        return [
            PushResult(delivery_id=m.delivery_id, outcome=Outcome.SENT, message_id="m")
            for m in messages
        ]


def _elsewhere(work):
    """`work` run by another worker, on its own connection."""
    out: dict = {}

    def run():
        try:
            out["value"] = work()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return out["value"]


def _recording_cut(until):
    """An execute wrapper: this worker's connection fails while it records 'sent' (the
    UPDATE of _mark_sent) as long as until() is true; each failed attempt noted."""
    attempts: list[float] = []

    def wrapper(execute, sql, params, many, context):
        if "message_id = v.column2" in sql:
            attempts.append(time.monotonic())
            if until():
                raise OperationalError("connection lost (simulated)")
        return execute(sql, params, many, context)

    return wrapper, attempts


def test_a_push_being_recorded_is_not_retaken_once_its_first_claim_would_have_ended(settings):
    """The claim of a push whose outcome is being recorded (retried on a lost connection)
    is renewed until it is: a worker looking for due work (deliver_due, after each of its
    tasks) does not take it and send it again meanwhile. Before, recording was retried
    until the end of the send + the lease, but the claim ended at claim + lease."""
    settings.NOTIFICATIONS_CLAIM_LEASE_SECONDS = lease = 3.0  # heartbeat every 1 s
    delivery = DeliveryFactory()
    sent: list[int] = []
    others: list[dict] = []

    def down() -> bool:
        if others:
            return False  # the connection is back
        # The first attempt fails only after the first claim would have ended (a
        # connection that times out); meanwhile a worker that finished a task looks.
        first_claim_ends = _elsewhere(lambda: Delivery.objects.get(pk=delivery.pk).claimed_until)
        while clock.now() <= first_claim_ends + timedelta(seconds=0.1):
            time.sleep(0.05)
        others.append(
            _elsewhere(lambda: dispatch.deliver_due(seconds=0.1, channel=_Channel(0, sent)))
        )
        return True

    wrapper, attempts = _recording_cut(down)
    started = time.monotonic()
    with connection.execute_wrapper(wrapper):
        # a send shorter than the heartbeat's period: no renewal while on the wire
        assert dispatch.deliver([delivery.pk], channel=_Channel(0.9, sent)) == {"sent": 1}
    assert len(attempts) == 2 and attempts[-1] - started > lease
    assert others == [{}]
    assert sent == [delivery.pk]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.claimed_until) == ("sent", 1, None)


def test_a_push_whose_outcome_cannot_be_recorded_is_retaken_only_after_its_holder_gave_up(
    settings,
):
    """Recording given up on (a lease after the send): the row stays claimed until the
    claim, renewed meanwhile, ends; only then is it retaken (and sent again: the push's
    outcome was never recorded)."""
    settings.NOTIFICATIONS_CLAIM_LEASE_SECONDS = 1.2  # heartbeat every 0.4 s
    delivery = DeliveryFactory()
    sent: list[int] = []
    others: list[dict] = []

    def retake() -> dict:
        return _elsewhere(lambda: dispatch.deliver_due(seconds=0.1, channel=_Channel(0, sent)))

    def down():
        others.append(retake())
        return True

    wrapper, attempts = _recording_cut(down)
    with connection.execute_wrapper(wrapper), pytest.raises(OperationalError):
        dispatch.deliver([delivery.pk], channel=_Channel(0.1, sent))
    connection.close()  # left broken, as the task would leave it
    assert len(attempts) >= 2 and others == [{}] * len(attempts)
    assert sent == [delivery.pk]
    assert retake() == {}  # still held: the claim its heartbeat renewed
    held_until = Delivery.objects.get(pk=delivery.pk).claimed_until
    time.sleep(max(0.0, (held_until - clock.now()).total_seconds()) + 0.05)
    assert retake() == {"sent": 1}
    assert sent == [delivery.pk, delivery.pk]
