"""The outbox: claims make a twice-run delivery send once; the sweep recovers what a
lost task left; the claim holds under real concurrency on PostgreSQL."""

import threading

import pytest
from django.db import connection

from notifications import dispatch, services
from notifications.kinds import PASSWORD_CHANGED
from notifications.models import Delivery
from notifications.tasks import send_deliveries, sweep_pending_deliveries
from tests.factories.accounts import UserFactory
from tests.factories.notifications import DeviceFactory


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
