"""Announcements fan out in the worker to the landlord's tenants, or some residences'."""

import datetime

import pytest
import time_machine

from notifications import services
from notifications.models import Announcement, Delivery, Notification
from tests.factories.accounts import TenantFactory
from tests.factories.notifications import DeviceFactory

pytestmark = pytest.mark.django_db


def test_fan_out_reaches_the_landlords_tenants_only(world, django_capture_on_commit_callbacks):
    DeviceFactory(user=world.tenant_a.user)
    DeviceFactory(user=world.tenant_b.user)
    with django_capture_on_commit_callbacks(execute=True):
        announcement = services.announcement_create(
            author=world.staff_a.user, title="Coupure d'eau", body="Jeudi de 9 h à 12 h."
        )
    announcement.refresh_from_db()
    assert announcement.status == "done"
    assert announcement.recipients_count == 2
    rows = Notification.objects.order_by("recipient_id")
    assert [r.recipient for r in rows] == [world.tenant_a.user, world.tenant_a2.user]
    assert {(r.title, r.link_id) for r in rows} == {("Coupure d'eau", str(announcement.public_id))}
    assert Delivery.objects.get().device.user == world.tenant_a.user
    assert Delivery.objects.get().status == "sent"  # log channel, eager worker


def test_fan_out_to_some_residences(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.announcement_create(
            author=world.staff_a.user,
            title="Fête des voisins",
            body="Vendredi 18 h, cour des Minimes.",
            residence_ids=[world.residence_a.public_id],
        )
    assert [n.recipient for n in Notification.objects.all()] == [world.tenant_a.user]


def test_another_landlords_residence_is_refused(world, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(services.UnknownResidence),
    ):
        services.announcement_create(
            author=world.staff_a.user,
            title="x",
            body="y",
            residence_ids=[world.residence_b.public_id],
        )
    assert callbacks == []
    assert Announcement.objects.count() == 0


def test_fan_out_in_chunks_resumes_without_writing_anyone_twice(world):
    for _ in range(5):
        TenantFactory(residence=world.residence_a)
    announcement = Announcement.objects.create(
        landlord=world.landlord_a, author=world.staff_a.user, title="t", body="b"
    )
    services.announcement_fan_out(announcement_id=announcement.pk, chunk=3)
    services.announcement_fan_out(announcement_id=announcement.pk, chunk=3)  # run twice
    announcement.refresh_from_db()
    assert announcement.recipients_count == 7
    assert Notification.objects.count() == 7
    assert Notification.objects.values("recipient").distinct().count() == 7


def test_the_sweep_resumes_a_fan_out_whose_task_was_lost(world, django_capture_on_commit_callbacks):
    from notifications.tasks import sweep_pending_deliveries

    with time_machine.travel("2026-11-27 10:00:00+00:00", tick=False):
        with django_capture_on_commit_callbacks(execute=False):  # the broker was down
            announcement = services.announcement_create(
                author=world.staff_a.user, title="Coupure d'eau", body="Jeudi 9 h - 12 h."
            )
        sweep_pending_deliveries()
        assert Notification.objects.count() == 0  # too early to call it lost
    with time_machine.travel("2026-11-27 10:06:00+00:00", tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            sweep_pending_deliveries()
        announcement.refresh_from_db()
        assert (announcement.status, announcement.recipients_count) == ("done", 2)
        assert sorted(n.recipient_id for n in Notification.objects.all()) == sorted(
            [world.tenant_a.user.pk, world.tenant_a2.user.pk]
        )
        sweep_pending_deliveries()  # done: nothing more
        assert Notification.objects.count() == 2


def test_a_tenant_whose_tenancy_has_ended_is_no_longer_told(
    world, django_capture_on_commit_callbacks
):
    gone = TenantFactory(residence=world.residence_a)
    gone.tenancy.end_date = datetime.date(2026, 10, 31)
    gone.tenancy.save()
    leaving = TenantFactory(residence=world.residence_a)
    leaving.tenancy.end_date = datetime.date(2026, 11, 30)
    leaving.tenancy.save()
    with (
        time_machine.travel("2026-11-27 10:00:00+01:00", tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.announcement_create(
            author=world.staff_a.user,
            title="Travaux",
            body="Cage d'escalier B.",
            residence_ids=[world.residence_a.public_id],
        )
    assert sorted(n.recipient_id for n in Notification.objects.all()) == sorted(
        [world.tenant_a.user.pk, leaving.user.pk]
    )
