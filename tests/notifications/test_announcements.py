"""Announcements fan out in the worker to the landlord's tenants, or some residences'."""

import pytest

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
