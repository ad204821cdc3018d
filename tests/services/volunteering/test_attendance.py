import datetime as dt

import pytest
import time_machine

from services.core.errors import NotAllowed
from services.core.extensions import volunteer_hours_for
from services.loyalty.selectors import account_balance
from services.volunteering import actions, checkin, selectors
from services.volunteering.models import Signup
from tests.factories.volunteering import MissionFactory, SlotFactory

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


@pytest.fixture
def signed(slot, make_tenants):
    a, b = make_tenants(2)
    return actions.signup_create(tenant=a, slot=slot), actions.signup_create(tenant=b, slot=slot)


def test_attendance_cannot_be_marked_before_the_start(world, slot, signed):
    with (
        time_machine.travel(slot.starts_at - dt.timedelta(seconds=1), tick=False),
        pytest.raises(actions.AttendanceTooEarly),
    ):
        actions.attendance_mark(
            actor=world.staff_a.user, slot=slot, marks=[(signed[0].public_id, True)]
        )
    assert set(Signup.objects.values_list("status", flat=True)) == {"confirmed"}


def test_attendance_awards_the_points_once_and_a_correction_reverses_them(world, slot, signed):
    a, b = signed
    staff = world.staff_a.user
    with time_machine.travel(slot.ends_at, tick=False):
        actions.attendance_mark(
            actor=staff, slot=slot, marks=[(a.public_id, True), (b.public_id, False)]
        )
        actions.attendance_mark(actor=staff, slot=slot, marks=[(a.public_id, True)])

        assert account_balance(tenant=a.tenant) == 50
        assert account_balance(tenant=b.tenant) == 0
        a.refresh_from_db()
        b.refresh_from_db()
        assert (a.status, b.status) == ("attended", "no_show")
        assert a.attendance_marked_by == staff

        actions.attendance_mark(actor=staff, slot=slot, marks=[(a.public_id, False)])

        assert account_balance(tenant=a.tenant) == 0
        a.refresh_from_db()
        assert a.status == "no_show"


def test_attendance_refuses_unknown_waitlisted_and_foreign_signups(
    world, slot, signed, make_tenants
):
    (waiter,) = make_tenants(1)
    waiting = actions.signup_create(tenant=waiter, slot=slot)
    other = SlotFactory(mission=slot.mission, starts_at=slot.starts_at + 5 * H)
    elsewhere = actions.signup_create(tenant=waiter, slot=other)
    with time_machine.travel(slot.ends_at, tick=False):
        with pytest.raises(actions.NotAttendable):
            actions.attendance_mark(
                actor=world.staff_a.user,
                slot=slot,
                marks=[(signed[0].public_id, True), (waiting.public_id, True)],
            )
        with pytest.raises(actions.UnknownSignup):
            actions.attendance_mark(
                actor=world.staff_a.user, slot=slot, marks=[(elsewhere.public_id, True)]
            )
        with pytest.raises(NotAllowed):
            actions.attendance_mark(
                actor=world.staff_b.user, slot=slot, marks=[(signed[0].public_id, True)]
            )
    # all or nothing: the first mark of the refused batch did not stay
    assert Signup.objects.get(pk=signed[0].pk).status == "confirmed"
    assert account_balance(tenant=signed[0].tenant) == 0


def test_check_in_with_the_current_code_during_the_slot(slot, signed):
    a = signed[0]
    during = slot.starts_at + 10 * dt.timedelta(minutes=1)
    with time_machine.travel(during, tick=False):
        code = checkin.code_at(slot.checkin_secret, during)
        with pytest.raises(actions.InvalidCheckinCode):
            actions.signup_check_in(
                tenant=a.tenant, slot=slot, code="000000" if code != "000000" else "111111"
            )
        checked = actions.signup_check_in(tenant=a.tenant, slot=slot, code=code)
        again = actions.signup_check_in(tenant=a.tenant, slot=slot, code=code)

    assert (checked.status, checked.checked_in_at) == ("attended", during)
    assert again.status == "attended"
    assert account_balance(tenant=a.tenant) == 50


def test_check_in_is_closed_outside_the_slot_window(slot, signed):
    a = signed[0]
    for at in (slot.starts_at - dt.timedelta(seconds=1), slot.ends_at + dt.timedelta(seconds=1)):
        with time_machine.travel(at, tick=False):
            code = checkin.code_at(slot.checkin_secret, at)
            with pytest.raises(actions.CheckinClosed):
                actions.signup_check_in(tenant=a.tenant, slot=slot, code=code)
    with time_machine.travel(slot.ends_at, tick=False):
        code = checkin.code_at(slot.checkin_secret, slot.ends_at)
        assert actions.signup_check_in(tenant=a.tenant, slot=slot, code=code).status == "attended"


def test_the_code_rotates_the_previous_one_is_still_accepted_older_ones_not(slot, signed):
    a, b = signed
    first = slot.starts_at + dt.timedelta(seconds=1)
    old_code = checkin.code_at(slot.checkin_secret, first)
    step = dt.timedelta(seconds=checkin.STEP_SECONDS)
    with time_machine.travel(first + step, tick=False):
        assert actions.signup_check_in(tenant=a.tenant, slot=slot, code=old_code).status == (
            "attended"
        )
    with (
        time_machine.travel(first + 2 * step, tick=False),
        pytest.raises(actions.InvalidCheckinCode),
    ):
        actions.signup_check_in(tenant=b.tenant, slot=slot, code=old_code)


def test_wrong_codes_are_throttled(slot, signed):
    a = signed[0]
    during = slot.starts_at + H
    good = checkin.code_at(slot.checkin_secret, during)
    bad = str((int(good) + 1) % 1_000_000).zfill(6)
    with time_machine.travel(during, tick=False):
        for _ in range(actions.CHECKIN_ATTEMPTS - 1):
            with pytest.raises(actions.InvalidCheckinCode):
                actions.signup_check_in(tenant=a.tenant, slot=slot, code=bad)
        with pytest.raises(actions.InvalidCheckinCode):
            actions.signup_check_in(tenant=a.tenant, slot=slot, code=bad)
        with pytest.raises(actions.TooManyCheckins):
            actions.signup_check_in(tenant=a.tenant, slot=slot, code=good)


def test_a_tenant_without_a_confirmed_place_cannot_check_in(world, slot):
    during = slot.starts_at + H
    with time_machine.travel(during, tick=False), pytest.raises(actions.NotConfirmed):
        actions.signup_check_in(
            tenant=world.tenant_a,
            slot=slot,
            code=checkin.code_at(slot.checkin_secret, during),
        )


def test_staff_read_the_current_code(world, slot):
    at = slot.starts_at + H
    with time_machine.travel(at, tick=False):
        shown = actions.checkin_code_for(actor=world.staff_a.user, slot=slot)
        assert shown["code"] == checkin.code_at(slot.checkin_secret, at)
        assert shown["rotates_at"] > at
        with pytest.raises(NotAllowed):
            actions.checkin_code_for(actor=world.staff_b.user, slot=slot)
    with (
        time_machine.travel(slot.ends_at + dt.timedelta(seconds=1), tick=False),
        pytest.raises(actions.SlotOver),
    ):
        actions.checkin_code_for(actor=world.staff_a.user, slot=slot)


def test_the_record_counts_validated_hours_by_category(world):
    tenant = world.tenant_a
    garden = MissionFactory(landlord=world.landlord_a, category="shared_garden", points=10)
    repair = MissionFactory(landlord=world.landlord_a, category="repair_cafe", points=20)
    slots = [
        SlotFactory(mission=garden, starts_at=_at(1), ends_at=_at(1) + 2 * H),
        SlotFactory(
            mission=garden, starts_at=_at(2), ends_at=_at(2) + 90 * dt.timedelta(minutes=1)
        ),
        SlotFactory(mission=repair, starts_at=_at(3), ends_at=_at(3) + 3 * H),
        SlotFactory(mission=repair, starts_at=_at(4), ends_at=_at(4) + 3 * H),
    ]
    signups = [actions.signup_create(tenant=tenant, slot=s) for s in slots]
    with time_machine.travel(_at(5), tick=False):
        for signup, attended in zip(signups, (True, True, True, False), strict=True):
            actions.attendance_mark(
                actor=world.staff_a.user, slot=signup.slot, marks=[(signup.public_id, attended)]
            )

    record = selectors.volunteer_record(tenant=tenant)

    assert (record["hours"], record["missions"], record["sessions"]) == (6.5, 2, 3)
    assert record["by_category"] == [
        {"category": "shared_garden", "hours": 3.5, "missions": 1, "sessions": 2},
        {"category": "repair_cafe", "hours": 3.0, "missions": 1, "sessions": 1},
    ]
    assert volunteer_hours_for([tenant.pk, world.tenant_a2.pk]) == {tenant.pk: 6.5}
    assert account_balance(tenant=tenant) == 40


def _at(days: int) -> dt.datetime:
    from tests.factories.volunteering import in_days

    return in_days(days + 1, hour=9)


def test_a_right_code_is_not_counted_against_the_wrong_ones(slot, signed):
    a = signed[0]
    during = slot.starts_at + H
    good = checkin.code_at(slot.checkin_secret, during)
    bad = str((int(good) + 1) % 1_000_000).zfill(6)
    with time_machine.travel(during, tick=False):
        for _ in range(actions.CHECKIN_ATTEMPTS - 1):
            with pytest.raises(actions.InvalidCheckinCode):
                actions.signup_check_in(tenant=a.tenant, slot=slot, code=bad)
        assert actions.signup_check_in(tenant=a.tenant, slot=slot, code=good).status == "attended"
        with pytest.raises(actions.InvalidCheckinCode):  # the tenth wrong code is still checked
            actions.signup_check_in(tenant=a.tenant, slot=slot, code=bad)
        with pytest.raises(actions.TooManyCheckins) as refused:
            actions.signup_check_in(tenant=a.tenant, slot=slot, code=good)
    assert refused.value.extra == {"retry_after": 600}
