"""Devices: upsert by identifier, moving between users, the 10-device cap, logout."""

from datetime import timedelta

import pytest
import time_machine

from notifications import dispatch, services
from notifications.kinds import PASSWORD_CHANGED
from notifications.models import Delivery, Device
from tests.factories.accounts import UserFactory
from tests.factories.notifications import DeviceFactory

pytestmark = pytest.mark.django_db


def test_register_creates_then_updates_the_same_identifier():
    user = UserFactory()
    device, created = services.device_register(user=user, identifier="tok-1", platform="ios")
    assert created
    again, created_again = services.device_register(
        user=user, identifier="tok-1", platform="ios", app_version="2.0", locale="en-GB"
    )
    assert not created_again
    assert again.pk == device.pk
    assert (again.app_version, again.locale, again.is_active) == ("2.0", "en-GB", True)
    assert Device.objects.count() == 1


def test_a_known_identifier_moves_to_the_new_user_and_the_old_one_gets_nothing_more():
    old, new = UserFactory(), UserFactory()
    device = DeviceFactory(user=old, identifier="shared-phone")
    services.notify(recipients=[old], kind=PASSWORD_CHANGED)
    assert Delivery.objects.get().status == "pending"

    moved, created = services.device_register(
        user=new, identifier="shared-phone", platform="android"
    )
    assert (moved.pk, moved.user, created) == (device.pk, new, False)
    assert Delivery.objects.get().status == "skipped"
    assert dispatch.deliver(list(Delivery.objects.values_list("pk", flat=True))) == {}


def test_a_device_moved_after_its_delivery_was_claimed_is_skipped_at_send_time():
    old, new = UserFactory(), UserFactory()
    device = DeviceFactory(user=old)
    services.notify(recipients=[old], kind=PASSWORD_CHANGED)
    Device.objects.filter(pk=device.pk).update(user=new)  # moved by a racing request
    assert dispatch.deliver(list(Delivery.objects.values_list("pk", flat=True))) == {"skipped": 1}
    assert Delivery.objects.get().status == "skipped"


def test_a_user_keeps_at_most_ten_active_devices_the_oldest_dropped():
    user = UserFactory()
    with time_machine.travel("2026-11-01 10:00:00+00:00", tick=False) as traveller:
        for n in range(11):
            traveller.shift(timedelta(minutes=1))
            services.device_register(user=user, identifier=f"tok-{n}", platform="android")
    active = Device.objects.filter(user=user, is_active=True)
    assert active.count() == 10
    oldest = Device.objects.get(identifier="tok-0")
    assert (oldest.is_active, oldest.deactivation_reason) == (False, "limit")


def test_logout_deactivates_only_that_users_device():
    user, other = UserFactory(), UserFactory()
    DeviceFactory(user=user, identifier="mine")
    DeviceFactory(user=other, identifier="theirs")
    assert services.device_deactivate_for_logout(user=user, token="mine") is True
    assert services.device_deactivate_for_logout(user=user, token="theirs") is False
    assert services.device_deactivate_for_logout(user=user, token="unknown") is False
    mine, theirs = Device.objects.get(identifier="mine"), Device.objects.get(identifier="theirs")
    assert (mine.is_active, mine.deactivation_reason) == (False, "logout")
    assert theirs.is_active


def test_registering_again_after_logout_reactivates():
    user = UserFactory()
    DeviceFactory(user=user, identifier="tok")
    services.device_deactivate_for_logout(user=user, token="tok")
    device, created = services.device_register(user=user, identifier="tok", platform="ios")
    assert not created
    assert (device.is_active, device.deactivation_reason, device.deactivated_at) == (
        True,
        "",
        None,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_of_one_token_make_one_device():
    import threading

    from django.db import connection

    users = UserFactory.create_batch(4)
    barrier = threading.Barrier(4)
    errors = []

    def register(user):
        try:
            barrier.wait()
            services.device_register(user=user, identifier="raced-token", platform="ios")
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    device = Device.objects.get()
    assert device.identifier == "raced-token"
    assert device.user in users
