"""The outbox: claims make a twice-run delivery send once; the sweep recovers what a
lost task left; the claim holds under real concurrency on PostgreSQL."""

import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction

from notifications import dispatch, services
from notifications.kinds import PASSWORD_CHANGED
from notifications.models import Delivery, Device
from notifications.tasks import send_deliveries, sweep_pending_deliveries
from services.core import clock
from tests.factories.accounts import UserFactory
from tests.factories.notifications import DeliveryFactory, DeviceFactory
from tests.notifications.conftest import QUOTA_EXCEEDED, UNAVAILABLE
from tests.ops.test_faults import terminate


def _pending(n: int) -> list[int]:
    users = UserFactory.create_batch(n)
    for user in users:
        DeviceFactory(user=user)
    services.notify(recipients=users, kind=PASSWORD_CHANGED)  # no commit hook runs here
    return list(Delivery.objects.order_by("pk").values_list("pk", flat=True))


@pytest.mark.django_db
def test_running_a_delivery_twice_sends_once(fake_fcm):
    ids = _pending(3)
    assert send_deliveries(ids) == {"sent": 3}
    assert send_deliveries(ids) == {}
    assert len(fake_fcm.sent) == 3
    assert list(Delivery.objects.values_list("status", "attempts")) == [("sent", 1)] * 3


@pytest.mark.django_db
def test_a_claimed_delivery_is_not_claimed_again_until_its_lease_ends():
    ids = _pending(2)
    first = dispatch.claim(ids)
    assert [d.pk for d in first] == ids
    assert dispatch.claim(ids) == []


@pytest.mark.django_db
def test_the_sweep_sends_what_a_lost_task_left_pending(fake_fcm):
    _pending(2)  # the on-commit task never ran: a broker outage
    assert sweep_pending_deliveries() == 2
    assert len(fake_fcm.sent) == 2
    assert sweep_pending_deliveries() == 0
    assert len(fake_fcm.sent) == 2


@pytest.mark.django_db
def test_the_log_channel_marks_deliveries_sent_in_development(caplog, settings):
    settings.FIREBASE_CREDENTIALS = ""
    ids = _pending(1)
    with caplog.at_level("INFO", logger="notifications.push"):
        assert dispatch.deliver(ids) == {"sent": 1}
    delivery = Delivery.objects.get()
    assert delivery.status == "sent"
    assert delivery.message_id.startswith("log:")
    assert any("log channel" in r.getMessage() for r in caplog.records)


def test_backoff_grows_with_jitter_and_honours_retry_after():
    for attempts in (1, 2, 3):
        ceiling = dispatch.RETRY_BASE_SECONDS * 2 ** (attempts - 1)
        assert ceiling / 2 <= dispatch.backoff_seconds(attempts) <= ceiling
    assert dispatch.backoff_seconds(1, retry_after=300) == 300
    assert dispatch.backoff_seconds(30) <= dispatch.RETRY_MAX_SECONDS


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_claimers_never_take_the_same_delivery():
    ids = _pending(40)
    # autocommit ran the on-commit task already (eager, log channel): pending them again
    Delivery.objects.update(status="pending", attempts=0, claimed_until=None, claim_token=None)
    barrier = threading.Barrier(4)
    claimed: list[list[int]] = []
    lock = threading.Lock()

    def worker():
        try:
            barrier.wait()
            rows = dispatch.claim(ids)
            with lock:
                claimed.append([d.pk for d in rows])
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = [pk for rows in claimed for pk in rows]
    assert sorted(everything) == ids  # each exactly once
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_device_being_moved_while_its_push_is_claimed_never_gets_the_old_users_push(
    fake_fcm,
):
    """device_register holds the device FOR UPDATE while it moves it: a worker that claimed
    the previous user's push at that moment must not send it on the old owner's word."""
    old, new = UserFactory(), UserFactory()
    delivery = DeliveryFactory(notification__recipient=old)
    device = delivery.device
    locked, sent = threading.Event(), threading.Event()
    errors: list[Exception] = []

    def register_on_another_connection():
        try:
            with transaction.atomic():
                # what device_register does first, then it waits for the worker
                Device.objects.select_for_update().get(pk=device.pk)
                locked.set()
                sent.wait(timeout=10)
                services.device_register(
                    user=new, identifier=device.identifier, platform=device.platform
                )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=register_on_another_connection)
    thread.start()
    assert locked.wait(timeout=10)
    try:
        outcome = dispatch.deliver([delivery.pk])
    finally:
        sent.set()
        thread.join()
    assert errors == []
    assert outcome == {"deferred": 1}
    assert fake_fcm.sent == []
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.claimed_until) == ("skipped", 0, None)
    assert dispatch.deliver([delivery.pk]) == {}  # the sweep finds nothing to send
    assert fake_fcm.sent == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_push_whose_device_is_being_registered_goes_out_in_the_same_task(fake_fcm):
    """A registration holds the device row for milliseconds: the push it deferred is tried
    again in the task a moment later, instead of waiting for the sweep and its queue."""
    delivery = DeliveryFactory()
    locked = threading.Event()

    def register_briefly():
        try:
            with transaction.atomic():
                Device.objects.select_for_update().get(pk=delivery.device_id)
                locked.set()
                time.sleep(0.1)
        finally:
            connection.close()

    thread = threading.Thread(target=register_briefly)
    thread.start()
    assert locked.wait(timeout=10)
    try:
        outcome = dispatch.deliver([delivery.pk])
    finally:
        thread.join()
    assert outcome == {"sent": 1}
    assert fake_fcm.tokens() == [delivery.device.identifier]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_recording_the_same_dead_devices_do_not_deadlock():
    """Two batches (two notifications) that both hit the same uninstalled phones: each
    worker deactivates them and skips their other pending deliveries. Recording must not
    lock devices and deliveries in crossing orders (a deadlock rolls an outcome back, and
    the already-sent pushes of that batch would go out again after the lease)."""
    from notifications.channels import Outcome, PushResult

    rounds, width = 6, 8
    failures: list[Exception] = []
    for _ in range(rounds):
        users = UserFactory.create_batch(width)
        devices = [DeviceFactory(user=u) for u in users]
        batches = []
        for _batch in range(2):
            batch = [DeliveryFactory(notification__recipient=d.user, device=d) for d in devices]
            Delivery.objects.filter(pk__in=[d.pk for d in batch]).update(attempts=1)
            batches.append(list(Delivery.objects.filter(pk__in=[d.pk for d in batch])))
        barrier = threading.Barrier(2)

        def worker(batch, barrier=barrier):
            try:
                results = [
                    PushResult(d.pk, Outcome.UNREGISTERED, error="gone", error_code="unregistered")
                    for d in batch
                ]
                barrier.wait()
                dispatch.record(batch, results)
            except Exception as exc:
                failures.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=worker, args=(b,)) for b in batches]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert failures == []
    assert not Device.objects.filter(is_active=True).exists()
    assert set(Delivery.objects.values_list("status", flat=True)) <= {"failed", "skipped"}


@pytest.mark.django_db
def test_a_claim_whose_worker_died_is_taken_again_after_the_lease(fake_fcm):
    with time_machine.travel("2026-11-27 10:00:00+00:00", tick=False) as traveller:
        ids = _pending(1)
        assert [d.pk for d in dispatch.claim(ids)] == ids  # then the worker is killed
        traveller.shift(dispatch.CLAIM_LEASE - timedelta(seconds=1))
        assert sweep_pending_deliveries() == 0
        traveller.shift(timedelta(seconds=2))
        assert sweep_pending_deliveries() == 1
    assert len(fake_fcm.sent) == 1
    assert list(Delivery.objects.values_list("status", "attempts")) == [("sent", 2)]


@pytest.mark.django_db
def test_retries_waiting_out_an_fcm_outage_go_out_as_soon_as_fcm_answers_again(fake_fcm):
    """After an outage of minutes, each push's next attempt can be minutes away (its
    backoff); the first one that goes through shows FCM is back, and the others waiting
    out the same outage are sent at once. A quota error keeps its delay."""
    with time_machine.travel("2026-11-27 10:00:00+00:00", tick=False) as traveller:
        # Deep in the outage: earlier attempts already failed (the 6th backoff is 5-10 min).
        first, second, third = (DeliveryFactory(attempts=a) for a in (3, 5, 5))
        quota = DeliveryFactory(attempts=5)
        for d in (first, second, third):
            fake_fcm.answers[d.device.identifier] = UNAVAILABLE
        fake_fcm.answers[quota.device.identifier] = QUOTA_EXCEEDED
        ids = [first.pk, second.pk, third.pk, quota.pk]
        assert dispatch.deliver(ids) == {"retry": 4}
        waiting = dict(Delivery.objects.values_list("pk", "next_attempt_at"))
        assert all(waiting[pk] > clock.now() + timedelta(seconds=30) for pk in ids)
        assert waiting[first.pk] < min(waiting[second.pk], waiting[third.pk])
        Delivery.objects.filter(pk=third.pk).update(  # a worker holds it right now
            claimed_until=clock.now() + timedelta(hours=1)
        )

        fake_fcm.answers.clear()  # FCM is back
        traveller.move_to(waiting[first.pk])
        assert sweep_pending_deliveries() == 1  # only `first` is due by its own backoff

        statuses = dict(Delivery.objects.values_list("pk", "status"))
        assert statuses[first.pk] == statuses[second.pk] == "sent"  # at once, minutes early
        assert statuses[third.pk] == "pending"  # claimed: left to its holder
        assert Delivery.objects.get(pk=quota.pk).next_attempt_at == waiting[quota.pk]
    assert fake_fcm.tokens().count(second.device.identifier) == 2  # once failed, once sent


@pytest.mark.django_db
def test_a_success_after_no_outage_brings_nothing_forward(fake_fcm):
    with time_machine.travel("2026-11-27 10:00:00+00:00", tick=False):
        failing = DeliveryFactory()
        fake_fcm.answers[failing.device.identifier] = UNAVAILABLE
        assert dispatch.deliver([failing.pk]) == {"retry": 1}
        later = Delivery.objects.get(pk=failing.pk).next_attempt_at
        fake_fcm.answers.clear()
        assert dispatch.deliver([DeliveryFactory().pk]) == {"sent": 1}  # a first attempt
        assert Delivery.objects.get(pk=failing.pk).next_attempt_at == later


@pytest.mark.django_db
def test_a_fan_out_whose_task_died_is_resumed_by_the_next_sweeps_within_20_s(world):
    """The bound docs/operations.md gives: idle ANNOUNCEMENT_IDLE, then the next sweep."""
    from notifications import selectors
    from notifications.models import Announcement, Notification
    from notifications.tasks import ANNOUNCEMENT_IDLE, SWEEP_EVERY_SECONDS

    assert ANNOUNCEMENT_IDLE.total_seconds() + SWEEP_EVERY_SECONDS <= 20
    with time_machine.travel("2026-11-27 10:00:00+00:00", tick=False) as traveller:
        announcement = services.announcement_create(
            author=world.staff_a.user, title="Coupure d'eau", body="Jeudi 9 h - 12 h."
        )  # its task was taken by a worker that was then killed (no commit hook runs here)
        Announcement.objects.filter(pk=announcement.pk).update(status="sending")
        traveller.shift(ANNOUNCEMENT_IDLE - timedelta(seconds=1))
        assert selectors.announcement_ids_stalled(idle=ANNOUNCEMENT_IDLE) == []
        sweep_pending_deliveries()
        assert Notification.objects.count() == 0  # alive as far as anyone can tell
        traveller.shift(timedelta(seconds=SWEEP_EVERY_SECONDS))
        sweep_pending_deliveries()
        announcement.refresh_from_db()
        assert announcement.status == "done"
        assert Notification.objects.count() == announcement.recipients_count == 2


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
def test_a_push_batch_that_loses_the_database_before_sending_goes_on_when_it_answers(fake_fcm):
    ids = [DeliveryFactory().pk for _ in range(3)]
    wrapper, cuts = _cut_once_at("FOR SHARE")  # the owners' check, before anything is sent
    with connection.execute_wrapper(wrapper):
        assert dispatch.deliver(ids) == {"sent": 3}
    assert cuts
    # One claim, kept across the cut: each push went out once, nothing waits for a lease.
    assert list(Delivery.objects.values_list("status", "attempts")) == [("sent", 1)] * 3
    assert len(fake_fcm.sent) == 3


@pytest.fixture
def tasks_queued_not_run():
    """Tasks published to the (in-memory) broker and left there: a queue with a backlog."""
    from backend.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield
    finally:
        app.conf.task_always_eager = saved
        with app.connection_for_write() as broker:
            broker.default_channel.queue_purge(app.conf.task_default_queue)


@pytest.mark.django_db
def test_the_sweep_hands_a_delivery_over_once_while_the_task_it_queued_waits(
    tasks_queued_not_run, fake_fcm
):
    """Behind a backlog, the task the sweep queued may wait minutes: the next sweeps do not
    queue the same ids again, until HANDED_OVER_HOLD says that task was lost too."""
    with time_machine.travel("2026-11-27 10:00:00+00:00", tick=False) as traveller:
        ids = _pending(2)  # their on-commit task was lost
        assert sweep_pending_deliveries() == 2
        traveller.shift(dispatch.HANDED_OVER_HOLD - timedelta(seconds=1))
        assert sweep_pending_deliveries() == 0  # its task is still queued
        traveller.shift(timedelta(seconds=2))
        assert sweep_pending_deliveries() == 2  # lost as well: handed over again
        # The queued task, when a worker reaches it, claims them as usual, and sends once.
        assert send_deliveries(ids) == {"sent": 2}
        assert send_deliveries(ids) == {}
    assert len(fake_fcm.sent) == 2


@pytest.fixture
def as_in_a_worker():
    """send_deliveries run as a worker runs it (neither eager nor called as a function)."""
    send_deliveries.push_request(called_directly=False, is_eager=False)
    try:
        yield send_deliveries.run
    finally:
        send_deliveries.pop_request()


@pytest.mark.django_db
def test_a_push_task_in_a_worker_then_sends_what_else_is_due_without_waiting_for_the_sweep(
    fake_fcm, as_in_a_worker
):
    """After an outage the last retries waited for the next sweep (10 s) or a task queued
    behind the backlog; a task that finished its batch takes them itself, oldest first.
    Still one send each: a row in its backoff, or held by another worker, is left alone."""
    with time_machine.travel("2026-11-27 10:00:00+00:00", tick=False) as traveller:
        mine = DeliveryFactory()
        lost = DeliveryFactory()  # its task was lost (Redis down)
        handed = DeliveryFactory()  # the sweep queued a task for it, behind the backlog
        dispatch.mark_handed_over([handed.pk])
        failing = DeliveryFactory()
        fake_fcm.answers[failing.device.identifier] = UNAVAILABLE
        assert dispatch.deliver([failing.pk]) == {"retry": 1}  # in its backoff now
        held = DeliveryFactory()
        dispatch.claim([held.pk])  # another worker's, on the wire
        fake_fcm.answers.clear()
        traveller.shift(timedelta(seconds=1))

        assert as_in_a_worker([mine.pk]) == {"sent": 3}
        statuses = dict(Delivery.objects.values_list("pk", "status"))
        assert [statuses[d.pk] for d in (mine, lost, handed, failing, held)] == [
            "sent",
            "sent",
            "sent",
            "pending",
            "pending",
        ]
        assert send_deliveries([handed.pk]) == {}  # the queued task: nothing left to claim

        traveller.move_to(Delivery.objects.get(pk=failing.pk).next_attempt_at)
        assert as_in_a_worker([]) == {"sent": 1}  # its backoff ended: the next task takes it
    assert sorted(fake_fcm.tokens()) == sorted(
        [d.device.identifier for d in (mine, lost, handed, failing)] + [failing.device.identifier]
    )


@pytest.mark.django_db
def test_an_inline_push_task_leaves_the_rest_to_the_sweep(fake_fcm):
    """Eager (the tests, `make run`'s in-process queue): the caller waits for the task."""
    mine, other = DeliveryFactory(), DeliveryFactory()
    assert send_deliveries.apply(args=([mine.pk],)).get() == {"sent": 1}
    assert Delivery.objects.get(pk=other.pk).status == "pending"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_claim_that_loses_the_database_while_reading_its_rows_is_made_again(fake_fcm):
    """Committed without its rows read, the claim held them for nobody until the lease."""
    ids = [DeliveryFactory().pk for _ in range(3)]
    wrapper, cuts = _cut_once_at("INNER JOIN")  # the claimed rows, read after the UPDATE
    with connection.execute_wrapper(wrapper):
        assert dispatch.deliver(ids) == {"sent": 3}
    assert cuts
    assert list(Delivery.objects.values_list("status", "attempts")) == [("sent", 1)] * 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_push_task_does_not_take_again_what_it_gave_back(fake_fcm):
    """A push whose device row stays locked is given back after DEFERRED_RETRY_PAUSES; the
    task's follow-on leaves it to the sweep instead of claiming it again at once (the same
    row claimed and given back every 0.7 s for the follow-on's 5 s)."""
    blocked, other = DeliveryFactory(), DeliveryFactory()
    locked, done = threading.Event(), threading.Event()

    def register_slowly():
        try:
            with transaction.atomic():
                Device.objects.select_for_update().get(pk=blocked.device_id)
                locked.set()
                done.wait(timeout=30)
        finally:
            connection.close()

    claims: list[list[int]] = []

    def wrapper(execute, sql, params, many, context):
        if "FOR UPDATE SKIP LOCKED" in sql and "notifications_delivery" in sql:
            claims.append(sorted(p for p in params if p in (blocked.pk, other.pk)))
        return execute(sql, params, many, context)

    thread = threading.Thread(target=register_slowly)
    thread.start()
    assert locked.wait(timeout=10)
    try:
        with connection.execute_wrapper(wrapper):
            assert dispatch.deliver_due(seconds=5) == {"sent": 1, "deferred": 1}
    finally:
        done.set()
        thread.join()
    assert claims == [[blocked.pk, other.pk]]
    assert fake_fcm.tokens() == [other.device.identifier]
    assert Delivery.objects.get(pk=blocked.pk).status == "pending"
