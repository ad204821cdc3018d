"""services/core/periodic.py, the loop every periodic task walks its items with, and the
kernel's own periodic task (the idempotency purge) past a poisoned row (issue 10 §4).

The areas' tasks each have theirs: tests/services/<area>/test_periodic_isolation.py and
tests/notifications/test_periodic_isolation.py."""

import datetime

import pytest
import time_machine
from prometheus_client import REGISTRY

from services.core import periodic, tasks
from services.core.models import IdempotencyRecord
from tests.poison import failed_ids, refuse

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)


def test_a_failing_item_is_rolled_back_alone_logged_and_counted(world, caplog):
    from services.accounts.models import Landlord

    loop = periodic.Loop("test.rename")
    for landlord in Landlord.objects.order_by("pk"):
        with loop.item(landlord.pk):
            Landlord.objects.filter(pk=landlord.pk).update(name="Renamed")
            if landlord == world.landlord_a:
                raise ValueError("this one cannot be processed")

    names = dict(Landlord.objects.values_list("pk", "name"))
    assert names == {world.landlord_a.pk: world.landlord_a.name, world.landlord_b.pk: "Renamed"}
    assert (loop.done, loop.failed) == (1, [world.landlord_a.pk])
    assert failed_ids(caplog, "test.rename") == [str(world.landlord_a.pk)]
    counted = REGISTRY.get_sample_value(
        "voisinage_periodic_item_failures_total", {"task": "test.rename"}
    )
    assert counted == 1  # what /metrics shows
    assert "ValueError: this one cannot be processed" in caplog.text  # the traceback


def test_an_expected_race_is_skipped_without_being_counted(caplog):
    class Moved(Exception):
        pass

    loop = periodic.Loop("test.race")
    with loop.item(7, skip=Moved):
        raise Moved
    assert (loop.done, loop.failed) == (0, [])
    assert caplog.records == []


def test_the_task_running_out_of_time_stops_the_loop():
    from celery.exceptions import SoftTimeLimitExceeded

    loop = periodic.Loop("test.slow")
    with pytest.raises(SoftTimeLimitExceeded), loop.item(1):
        raise SoftTimeLimitExceeded
    assert loop.failed == []


def _records(n: int) -> list[IdempotencyRecord]:
    with time_machine.travel(T0, tick=False):
        return [
            IdempotencyRecord.objects.create(scope="anon", key=f"k{i}", request_fingerprint="f")
            for i in range(n)
        ]


def test_the_purge_goes_on_past_a_record_the_database_refuses(caplog):
    records = _records(3)
    poisoned = records[1]
    refuse(IdempotencyRecord, on="DELETE", when=f"OLD.id = {poisoned.pk}")

    with time_machine.travel(T0 + datetime.timedelta(days=2), tick=False):
        assert tasks.purge_idempotency_records() == 2

    assert list(IdempotencyRecord.objects.values_list("pk", flat=True)) == [poisoned.pk]
    assert failed_ids(caplog, "core.purge_idempotency_records") == [str(poisoned.pk)]


def test_batches_keep_set_based_work_set_based_when_nothing_fails():
    calls = []

    def work(ids):
        calls.append(ids)
        return len(ids)

    total, loop = periodic.each_in_batches(list(range(5)), work, task="test.batches", size=2)
    assert (total, loop.done, loop.failed) == (5, 5, [])
    assert calls == [[0, 1], [2, 3], [4]]
