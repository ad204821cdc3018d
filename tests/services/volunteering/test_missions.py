import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from notifications.models import Notification
from services.core.errors import NotAllowed
from services.volunteering import actions
from services.volunteering.models import Mission, Signup, Slot
from tests.factories import StaffFactory
from tests.factories.volunteering import SlotFactory, in_days

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


def _slot_spec(days=5, hours=2, capacity=8):
    start = in_days(days)
    return {"starts_at": start, "ends_at": start + hours * H, "capacity": capacity}


def _data(**extra):
    return {
        "title": "Nettoyage des berges",
        "category": "clean_up",
        "place": "Parc Franck Delmas",
        "latitude": Decimal("46.150000"),
        "longitude": Decimal("-1.160000"),
        "points": 30,
        **extra,
    }


def test_staff_create_a_mission_with_its_slots(world):
    mission = actions.mission_create(
        actor=world.staff_a.user,
        data=_data(status="published"),
        slots=[_slot_spec(), _slot_spec(days=12, capacity=3)],
        residence=world.residence_a.public_id,
    )

    assert (mission.landlord, mission.residence, mission.status) == (
        world.landlord_a,
        world.residence_a,
        "published",
    )
    assert list(mission.slots.values_list("capacity", flat=True)) == [8, 3]
    assert all(len(s.checkin_secret) == 40 for s in mission.slots.all())


def test_mission_create_refuses_a_job_advisor_a_foreign_residence_and_past_slots(world):
    advisor = StaffFactory(landlord=world.landlord_a, role="job_advisor")
    with pytest.raises(NotAllowed):
        actions.mission_create(actor=advisor.user, data=_data(), slots=[_slot_spec()])
    with pytest.raises(actions.InvalidResidence):
        actions.mission_create(
            actor=world.staff_a.user,
            data=_data(),
            slots=[_slot_spec()],
            residence=world.residence_b.public_id,
        )
    with pytest.raises(actions.InvalidSlot):
        actions.mission_create(actor=world.staff_a.user, data=_data(), slots=[_slot_spec(days=-1)])
    assert not Mission.objects.exists()


def test_status_transitions_are_checked(world, mission):
    staff = world.staff_a.user
    with pytest.raises(actions.InvalidTransition):
        actions.mission_update(actor=staff, mission=mission, data={"status": "draft"})
    with pytest.raises(actions.StaleStatus):
        actions.mission_update(
            actor=staff, mission=mission, data={"title": "x"}, expected_status="draft"
        )
    done = actions.mission_update(actor=staff, mission=mission, data={"status": "completed"})
    assert done.status == "completed"


def test_cancelling_a_mission_cancels_every_signup_and_tells_each_tenant(world, slot, make_tenants):
    tenants = make_tenants(3)
    for tenant in tenants:
        actions.signup_create(tenant=tenant, slot=slot)  # 2 confirmed, 1 waitlisted

    actions.mission_update(
        actor=world.staff_a.user, mission=slot.mission, data={"status": "cancelled"}
    )

    assert set(Signup.objects.values_list("status", "cancel_reason")) == {
        ("cancelled", "mission_cancelled")
    }
    assert Notification.objects.filter(kind="volunteering.mission_cancelled").count() == 3
    assert {n.recipient_id for n in Notification.objects.all()} == {t.user_id for t in tenants}


def test_a_change_of_time_is_told_to_the_confirmed_only(world, slot, make_tenants):
    a, b, c = make_tenants(3)
    for tenant in (a, b, c):
        actions.signup_create(tenant=tenant, slot=slot)
    new_start = slot.starts_at + 3 * H

    actions.mission_update(
        actor=world.staff_a.user,
        mission=slot.mission,
        data={},
        slots=[{"id": slot.public_id, "starts_at": new_start, "ends_at": new_start + 2 * H}],
    )

    slot.refresh_from_db()
    assert slot.starts_at == new_start
    told = Notification.objects.filter(kind="volunteering.slot_changed")
    assert sorted(n.recipient_id for n in told) == sorted([a.user_id, b.user_id])


def test_a_change_of_place_is_told_to_everyone_confirmed(world, slot, make_tenants):
    a, b = make_tenants(2)
    actions.signup_create(tenant=a, slot=slot)
    actions.signup_create(tenant=b, slot=slot)

    actions.mission_update(actor=world.staff_a.user, mission=slot.mission, data={"title": "Y"})
    assert not Notification.objects.exists()
    actions.mission_update(
        actor=world.staff_a.user, mission=slot.mission, data={"place": "Square Valin"}
    )

    assert Notification.objects.filter(kind="volunteering.slot_changed").count() == 2
    assert "Square Valin" in Notification.objects.first().body


def test_a_larger_capacity_offers_the_new_places_and_a_smaller_one_is_checked(
    world, slot, make_tenants
):
    a, b, c = make_tenants(3)
    for tenant in (a, b, c):
        actions.signup_create(tenant=tenant, slot=slot)
    with pytest.raises(actions.CapacityBelowTaken):
        actions.mission_update(
            actor=world.staff_a.user,
            mission=slot.mission,
            data={},
            slots=[{"id": slot.public_id, "capacity": 1}],
        )

    actions.mission_update(
        actor=world.staff_a.user,
        mission=slot.mission,
        data={},
        slots=[{"id": slot.public_id, "capacity": 3}],
    )

    assert Signup.objects.get(tenant=c).status == "offered"


def test_staff_cancel_a_slot(world, slot, make_tenants):
    (a,) = make_tenants(1)
    actions.signup_create(tenant=a, slot=slot)

    actions.slot_cancel(actor=world.staff_a.user, slot=slot)

    slot.refresh_from_db()
    assert slot.status == Slot.Status.CANCELLED
    assert Signup.objects.get().cancel_reason == "slot_cancelled"
    assert Notification.objects.get().kind == "volunteering.mission_cancelled"
    with pytest.raises(actions.SlotCancelled):
        actions.signup_create(tenant=world.tenant_a2, slot=slot)


def test_a_tenant_initiative_waits_for_staff_approval(world):
    mission = actions.initiative_propose(
        tenant=world.tenant_a,
        data={"title": "Atelier compost", "category": "shared_garden", "points": 999},
        slots=[_slot_spec()],
    )
    assert (mission.status, mission.residence, mission.points) == (
        "proposed",
        world.residence_a,
        0,
    )
    assert mission.place == world.residence_a.address
    told = Notification.objects.get(kind="volunteering.initiative_proposed")
    assert (told.recipient, told.link_id) == (world.staff_a.user, str(mission.public_id))
    Notification.objects.all().delete()
    slot = mission.slots.get()
    with pytest.raises(actions.NotFound):
        actions.signup_create(tenant=world.tenant_a, slot=slot)

    with pytest.raises(NotAllowed):
        actions.initiative_review(actor=world.staff_b.user, mission=mission, approve=True)
    actions.initiative_review(actor=world.staff_a.user, mission=mission, approve=True, points=20)

    mission.refresh_from_db()
    assert (mission.status, mission.points, mission.reviewed_by) == (
        "published",
        20,
        world.staff_a.user,
    )
    assert Notification.objects.get().kind == "volunteering.initiative_approved"
    assert actions.signup_create(tenant=world.tenant_a, slot=slot).status == "confirmed"
    with pytest.raises(actions.NotAnInitiative):
        actions.initiative_review(actor=world.staff_a.user, mission=mission, approve=False)


def test_rejected_initiative_tells_the_tenant_why(world):
    mission = actions.initiative_propose(
        tenant=world.tenant_a, data={"title": "Fête", "category": "event"}, slots=[_slot_spec()]
    )
    actions.initiative_review(
        actor=world.staff_a.user, mission=mission, approve=False, note="Salle indisponible"
    )
    note = Notification.objects.get(recipient=world.tenant_a.user)
    assert (note.kind, note.body) == ("volunteering.initiative_rejected", "Salle indisponible")


def test_reminder_24_hours_before_once_and_followup_after(slot, make_tenants):
    a, b, c = make_tenants(3)
    actions.signup_create(tenant=a, slot=slot)
    cancelled = actions.signup_create(tenant=b, slot=slot)
    actions.signup_cancel(signup=cancelled, actor=b.user)
    actions.signup_create(tenant=c, slot=slot)

    with time_machine.travel(slot.starts_at - 24 * H - dt.timedelta(seconds=1), tick=False):
        assert actions.reminders_send() == 0
    with time_machine.travel(slot.starts_at - 24 * H, tick=False):
        assert actions.reminders_send() == 2
        assert actions.reminders_send() == 0
    reminded = Notification.objects.filter(kind="volunteering.reminder")
    assert {n.recipient_id for n in reminded} == {a.user_id, c.user_id}

    with time_machine.travel(slot.ends_at - dt.timedelta(seconds=1), tick=False):
        assert actions.followups_send() == 0
    with time_machine.travel(slot.ends_at, tick=False):
        assert actions.followups_send() == 2
        assert actions.followups_send() == 0


def test_other_landlords_staff_cannot_touch_a_mission(world, mission):
    with pytest.raises(NotAllowed):
        actions.mission_update(actor=world.staff_b.user, mission=mission, data={"title": "x"})
    slot = SlotFactory(mission=mission)
    with pytest.raises(NotAllowed):
        actions.slot_cancel(actor=world.staff_b.user, slot=slot)
