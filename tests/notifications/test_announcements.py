"""Announcements fan out in the worker to the landlord's tenants, or some residences'."""

import datetime

import pytest
import time_machine

from notifications import services
from notifications.kinds import PASSWORD_CHANGED
from notifications.models import Announcement, Delivery, Notification, Preference
from tests.factories.accounts import TenantFactory, UserFactory
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


def test_an_announcement_follows_each_tenants_switches(world, django_capture_on_commit_callbacks):
    inbox_off, push_off, both_off = (TenantFactory(residence=world.residence_a) for _ in range(3))
    two_phones = world.tenant_a.user
    for user in (inbox_off.user, push_off.user, both_off.user, two_phones, two_phones):
        DeviceFactory(user=user)
    for user, channels in (
        (inbox_off.user, ["inbox"]),
        (push_off.user, ["push"]),
        (both_off.user, ["inbox", "push"]),
    ):
        for channel in channels:
            Preference.objects.create(
                user=user, category="announcements", channel=channel, enabled=False
            )
    with django_capture_on_commit_callbacks(execute=True):
        announcement = services.announcement_create(
            author=world.staff_a.user, title="Coupure d'eau", body="Jeudi de 9 h à 12 h."
        )
    announcement.refresh_from_db()
    rows = {n.recipient: n.in_inbox for n in Notification.objects.all()}
    assert rows == {
        two_phones: True,
        world.tenant_a2.user: True,
        inbox_off.user: False,  # pushed, kept out of the inbox
        push_off.user: True,
    }
    assert announcement.recipients_count == 4
    pushed = sorted(d.device.user_id for d in Delivery.objects.select_related("device"))
    assert pushed == sorted([two_phones.pk, two_phones.pk, inbox_off.user.pk])


def test_an_audience_gets_exactly_what_notify_gives_one_by_one(world):
    english = UserFactory(language="en")
    french = UserFactory(language="fr")
    for user in (english, french):
        DeviceFactory(user=user)
    fields = ("recipient_id", "kind", "category", "title", "body", "link_id", "in_inbox")

    one_by_one = services.notify(recipients=[english, french], kind=PASSWORD_CHANGED)
    expected = sorted(tuple(getattr(n, f) for f in fields) for n in one_by_one)
    Notification.objects.all().delete()

    written = services.notify_audience(
        recipients=[(english.pk, "en"), (french.pk, "fr"), (english.pk, "en")],
        kind=PASSWORD_CHANGED,
        params={},
        link_id=None,
    )
    assert written == 2
    assert sorted(Notification.objects.values_list(*fields)) == expected
    assert len({n.title for n in Notification.objects.all()}) == 2  # rendered per language
    assert Delivery.objects.filter(status="pending").count() == 2


def test_a_chunk_of_deactivated_accounts_does_not_end_the_fan_out(world):
    left = TenantFactory(residence=world.residence_a)
    left.user.is_active = False
    left.user.save()
    later = TenantFactory(residence=world.residence_a)  # walked after the empty chunk
    announcement = Announcement.objects.create(
        landlord=world.landlord_a, author=world.staff_a.user, title="t", body="b"
    )
    services.announcement_fan_out(announcement_id=announcement.pk, chunk=1)
    announcement.refresh_from_db()
    assert announcement.status == "done"
    told = set(Notification.objects.values_list("recipient_id", flat=True))
    assert told == {world.tenant_a.user.pk, world.tenant_a2.user.pk, later.user.pk}
    assert announcement.recipients_count == 3
