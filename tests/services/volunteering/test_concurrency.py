"""Capacity is exact under real concurrent transactions (PostgreSQL: threads, one
connection each, released together by a barrier)."""

import datetime as dt

import pytest

from services.core import clock
from services.volunteering import actions
from services.volunteering.models import Signup, Volunteer
from services.volunteering.selectors import signup_list_for_user
from tests.concurrency import run_concurrently
from tests.factories import TenantFactory
from tests.factories.volunteering import MissionFactory, SlotFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_fifty_tenants_for_ten_places_give_ten_confirmed_and_forty_in_line(world):
    slot = SlotFactory(mission=MissionFactory(landlord=world.landlord_a), capacity=10)
    tenants = [TenantFactory(residence=world.residence_a) for _ in range(50)]

    results = run_concurrently(
        [lambda t=t: actions.signup_create(tenant=t, slot=slot) for t in tenants]
    )

    assert [r for r in results if isinstance(r, Exception)] == []
    statuses = sorted(r.status for r in results)
    assert statuses.count("confirmed") == 10
    assert statuses.count("waitlisted") == 40
    waiting = Signup.objects.filter(slot=slot, status="waitlisted").order_by("waitlist_ticket")
    assert list(waiting.values_list("waitlist_ticket", flat=True)) == list(range(1, 41))
    positions = sorted(
        signup_list_for_user(user=t.user).get().waitlist_position
        for t in tenants
        if Signup.objects.get(tenant=t).status == "waitlisted"
    )
    assert positions == list(range(1, 41))


def test_two_tenants_accepting_one_offered_place_give_exactly_one(world):
    slot = SlotFactory(
        mission=MissionFactory(landlord=world.landlord_a),
        capacity=1,
        starts_at=clock.now() + dt.timedelta(hours=1),
        ends_at=clock.now() + dt.timedelta(hours=3),
    )
    holder, first, second = (TenantFactory(residence=world.residence_a) for _ in range(3))
    held = actions.signup_create(tenant=holder, slot=slot)
    offers = [actions.signup_create(tenant=t, slot=slot) for t in (first, second)]
    actions.signup_cancel(signup=held, actor=holder.user)  # under 2 h: offered to both
    assert set(
        Signup.objects.filter(slot=slot, status="offered").values_list("offer_shared", flat=True)
    ) == {True}

    results = run_concurrently(
        [
            lambda: actions.offer_accept(signup=offers[0], tenant=first),
            lambda: actions.offer_accept(signup=offers[1], tenant=second),
        ]
    )

    winners = [r for r in results if isinstance(r, Signup)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1
    assert [type(e).__name__ for e in losers] == ["PlaceTaken"]
    assert Signup.objects.filter(slot=slot, status="confirmed").count() == 1


def test_a_tenant_signing_up_to_two_overlapping_slots_at_once_gets_one(world):
    mission = MissionFactory(landlord=world.landlord_a)
    start = clock.now() + dt.timedelta(days=2)
    slots = [
        SlotFactory(mission=mission, starts_at=start, ends_at=start + dt.timedelta(hours=2)),
        SlotFactory(
            mission=mission,
            starts_at=start + dt.timedelta(hours=1),
            ends_at=start + dt.timedelta(hours=3),
        ),
    ]
    tenants = [TenantFactory(residence=world.residence_a) for _ in range(6)]
    for tenant in tenants:
        Volunteer.objects.create(tenant=tenant)  # the row exists: only its lock serialises

    results = run_concurrently(
        [lambda t=t, s=s: actions.signup_create(tenant=t, slot=s) for t in tenants for s in slots]
    )

    names = [type(r).__name__ for r in results]
    assert (names.count("Signup"), names.count("OverlappingSignup")) == (6, 6)
    for tenant in tenants:
        assert Signup.objects.filter(tenant=tenant, status="confirmed").count() == 1


def test_moving_a_slot_while_its_volunteer_signs_up_at_the_new_time_keeps_one(world):
    """The move locks its confirmed volunteers (after the slot), as a sign-up does: the two
    cannot both pass their overlap checks."""
    mission = MissionFactory(landlord=world.landlord_a)
    start = clock.now().replace(microsecond=0) + dt.timedelta(days=2)
    moving = SlotFactory(mission=mission, starts_at=start, ends_at=start + dt.timedelta(hours=2))
    other = SlotFactory(
        mission=mission,
        starts_at=start + dt.timedelta(hours=5),
        ends_at=start + dt.timedelta(hours=7),
    )
    tenant = TenantFactory(residence=world.residence_a)
    actions.signup_create(tenant=tenant, slot=moving)
    new_times = {"starts_at": other.starts_at, "ends_at": other.ends_at}

    results = run_concurrently(
        [
            lambda: actions.mission_update(
                actor=world.staff_a.user,
                mission=mission,
                data={},
                slots=[{"id": moving.public_id, **new_times}],
            ),
            lambda: actions.signup_create(tenant=tenant, slot=other),
        ]
    )

    names = sorted(type(r).__name__ for r in results)
    assert names in (["Mission", "OverlappingSignup"], ["Signup", "SlotMoveOverlaps"])
    assert Signup.objects.filter(tenant=tenant, status="confirmed").count() == (
        1 if "OverlappingSignup" in names else 2
    )
