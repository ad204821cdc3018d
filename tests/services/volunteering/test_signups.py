import datetime as dt

import pytest
import time_machine

from notifications.models import Notification
from services.core.errors import NotFound
from services.volunteering import actions
from services.volunteering.models import Signup, SignupTransition, Volunteer
from services.volunteering.selectors import waitlist_position
from tests.factories import TenantFactory
from tests.factories.volunteering import MissionFactory, SlotFactory

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


def test_signup_is_confirmed_while_places_are_left_then_waitlisted_in_order(slot, make_tenants):
    tenants = make_tenants(5)
    signups = [actions.signup_create(tenant=t, slot=slot) for t in tenants]

    assert [s.status for s in signups] == ["confirmed", "confirmed", *["waitlisted"] * 3]
    assert [waitlist_position(signup=s) for s in signups] == [None, None, 1, 2, 3]
    assert signups[0].confirmed_at is not None
    assert SignupTransition.objects.filter(to_status="waitlisted").count() == 3


def test_signing_up_twice_to_the_same_slot_is_refused(slot, world):
    actions.signup_create(tenant=world.tenant_a, slot=slot)

    with pytest.raises(actions.AlreadySignedUp):
        actions.signup_create(tenant=world.tenant_a, slot=slot)
    assert Signup.objects.filter(slot=slot).count() == 1


def test_signing_up_again_after_cancelling_is_allowed(slot, world):
    first = actions.signup_create(tenant=world.tenant_a, slot=slot)
    actions.signup_cancel(signup=first, actor=world.tenant_a.user)

    again = actions.signup_create(tenant=world.tenant_a, slot=slot)

    assert again.status == "confirmed"


def test_signup_after_the_slot_started_is_refused(slot, world):
    with time_machine.travel(slot.starts_at, tick=False), pytest.raises(actions.SlotStarted):
        actions.signup_create(tenant=world.tenant_a, slot=slot)
    with time_machine.travel(slot.starts_at - dt.timedelta(seconds=1), tick=False):
        assert actions.signup_create(tenant=world.tenant_a, slot=slot).status == "confirmed"


def test_overlapping_confirmed_signups_are_refused_but_adjacent_ones_allowed(mission, world):
    first = SlotFactory(mission=mission, starts_at=mission_time(10), ends_at=mission_time(12))
    overlapping = SlotFactory(mission=mission, starts_at=mission_time(11), ends_at=mission_time(13))
    adjacent = SlotFactory(mission=mission, starts_at=mission_time(12), ends_at=mission_time(14))
    actions.signup_create(tenant=world.tenant_a, slot=first)

    with pytest.raises(actions.OverlappingSignup):
        actions.signup_create(tenant=world.tenant_a, slot=overlapping)
    assert actions.signup_create(tenant=world.tenant_a, slot=adjacent).status == "confirmed"
    assert Signup.objects.filter(tenant=world.tenant_a).count() == 2


def mission_time(hour: int) -> dt.datetime:
    from tests.factories.volunteering import in_days

    return in_days(3, hour=hour)


def test_another_landlords_tenant_cannot_sign_up(slot, world):
    with pytest.raises(NotFound):
        actions.signup_create(tenant=world.tenant_b, slot=slot)
    assert not Signup.objects.exists()


def test_a_residence_restricted_mission_refuses_other_residences(world):
    mission = MissionFactory(landlord=world.landlord_a, residence=world.residence_a)
    slot = SlotFactory(mission=mission)

    with pytest.raises(NotFound):
        actions.signup_create(tenant=world.tenant_a2, slot=slot)
    assert actions.signup_create(tenant=world.tenant_a, slot=slot).status == "confirmed"


def test_a_draft_mission_takes_no_signup(world):
    slot = SlotFactory(mission=MissionFactory(landlord=world.landlord_a, status="draft"))

    with pytest.raises(NotFound):
        actions.signup_create(tenant=world.tenant_a, slot=slot)


def test_the_charter_is_asked_once(world):
    slot = SlotFactory(mission=MissionFactory(landlord=world.landlord_a, requires_charter=True))
    other = SlotFactory(
        mission=MissionFactory(landlord=world.landlord_a, requires_charter=True),
        starts_at=slot.starts_at + dt.timedelta(days=1),
    )

    with pytest.raises(actions.CharterRequired):
        actions.signup_create(tenant=world.tenant_a, slot=slot)
    assert not Signup.objects.exists()
    actions.signup_create(tenant=world.tenant_a, slot=slot, accept_charter=True)
    volunteer = Volunteer.objects.get(tenant=world.tenant_a)
    assert (volunteer.charter_version, volunteer.charter_accepted_at is not None) == (
        "2026-01",
        True,
    )
    assert actions.signup_create(tenant=world.tenant_a, slot=other).status == "confirmed"


def test_tenant_cancel_offers_the_place_to_the_first_waiter_for_24_hours(slot, make_tenants):
    a, b, c, d = make_tenants(4)
    first = actions.signup_create(tenant=a, slot=slot)
    actions.signup_create(tenant=b, slot=slot)
    waiting_c = actions.signup_create(tenant=c, slot=slot)
    waiting_d = actions.signup_create(tenant=d, slot=slot)
    now = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    slot.starts_at = now + dt.timedelta(days=5)
    slot.ends_at = slot.starts_at + 2 * H
    slot.save()

    with time_machine.travel(now, tick=False):
        actions.signup_cancel(signup=first, actor=a.user)

    waiting_c.refresh_from_db()
    waiting_d.refresh_from_db()
    assert waiting_c.status == "offered"
    assert waiting_c.offer_expires_at == now + 24 * H
    assert waiting_c.offer_shared is False
    assert waiting_d.status == "waitlisted"
    assert waitlist_position(signup=waiting_d) == 1
    note = Notification.objects.get(recipient=c.user)
    assert note.kind == "volunteering.place_offered"
    assert note.link_id == str(waiting_c.public_id)
    assert not Notification.objects.filter(recipient=d.user).exists()
    # The offered place is held: a newcomer waits.
    newcomer = TenantFactory(residence=c.tenancy.residence)
    with time_machine.travel(now, tick=False):
        assert actions.signup_create(tenant=newcomer, slot=slot).status == "waitlisted"


@pytest.mark.parametrize(
    ("hours_before", "deadline_hours_before"),
    [(30, 6), (26, 2), (26.5, 2.5), (3, 2), (2 + 1 / 3600, 2)],
)
def test_offer_deadline_is_24_hours_or_2_hours_before_the_start(
    slot, make_tenants, hours_before, deadline_hours_before
):
    a, b, c = make_tenants(3)
    first = actions.signup_create(tenant=a, slot=slot)
    actions.signup_create(tenant=b, slot=slot)
    waiting = actions.signup_create(tenant=c, slot=slot)
    now = slot.starts_at - dt.timedelta(hours=hours_before)

    with time_machine.travel(now, tick=False):
        actions.signup_cancel(signup=first, actor=a.user)

    waiting.refresh_from_db()
    assert waiting.status == "offered"
    assert waiting.offer_shared is False
    expected = min(now + 24 * H, slot.starts_at - 2 * H)
    assert waiting.offer_expires_at == expected
    assert slot.starts_at - waiting.offer_expires_at == dt.timedelta(hours=deadline_hours_before)


def test_a_place_freed_under_two_hours_before_is_offered_to_all_first_accept_wins(
    slot, make_tenants
):
    a, b, c, d, e = make_tenants(5)
    first = actions.signup_create(tenant=a, slot=slot)
    actions.signup_create(tenant=b, slot=slot)
    waiters = [actions.signup_create(tenant=t, slot=slot) for t in (c, d, e)]
    now = slot.starts_at - 2 * H

    with time_machine.travel(now, tick=False):
        actions.signup_cancel(signup=first, actor=a.user)
        for w in waiters:
            w.refresh_from_db()
        assert [(w.status, w.offer_shared) for w in waiters] == [("offered", True)] * 3
        assert {w.offer_expires_at for w in waiters} == {slot.starts_at}
        assert Notification.objects.filter(kind="volunteering.place_offered").count() == 3

        won = actions.offer_accept(signup=waiters[1], tenant=d)
        with pytest.raises(actions.PlaceTaken):
            actions.offer_accept(signup=waiters[0], tenant=c)

    assert won.status == "confirmed"
    waiters[0].refresh_from_db()
    waiters[2].refresh_from_db()
    assert (waiters[0].status, waiters[2].status) == ("waitlisted", "waitlisted")
    assert waitlist_position(signup=waiters[0]) == 1
    assert waitlist_position(signup=waiters[2]) == 2
    assert Signup.objects.filter(slot=slot, status="confirmed").count() == 2


def test_a_lapsed_offer_moves_to_the_next_in_line_at_the_deadline(slot, make_tenants):
    a, b, c, d = make_tenants(4)
    first = actions.signup_create(tenant=a, slot=slot)
    actions.signup_create(tenant=b, slot=slot)
    waiting_c = actions.signup_create(tenant=c, slot=slot)
    waiting_d = actions.signup_create(tenant=d, slot=slot)
    now = slot.starts_at - dt.timedelta(days=3)
    with time_machine.travel(now, tick=False):
        actions.signup_cancel(signup=first, actor=a.user)
    deadline = now + 24 * H

    with time_machine.travel(deadline - dt.timedelta(seconds=1), tick=False):
        assert actions.offers_expire() == 0
    waiting_c.refresh_from_db()
    assert waiting_c.status == "offered"

    with time_machine.travel(deadline, tick=False):
        with pytest.raises(actions.OfferExpired):
            actions.offer_accept(signup=waiting_c, tenant=c)
        assert actions.offers_expire() == 1
        assert actions.offers_expire() == 0  # safe to run twice

    waiting_c.refresh_from_db()
    waiting_d.refresh_from_db()
    assert (waiting_c.status, waiting_c.cancel_reason) == ("cancelled", "offer_lapsed")
    assert waiting_d.status == "offered"
    assert waiting_d.offer_expires_at == deadline + 24 * H
    assert Notification.objects.get(recipient=c.user, kind="volunteering.offer_lapsed")

    with time_machine.travel(deadline + H, tick=False):
        accepted = actions.offer_accept(signup=waiting_d, tenant=d)
    assert accepted.status == "confirmed"


def test_a_lapse_within_two_hours_of_the_start_offers_everyone_left(slot, make_tenants):
    a, b, c, d, e = make_tenants(5)
    first = actions.signup_create(tenant=a, slot=slot)
    actions.signup_create(tenant=b, slot=slot)
    waiting = [actions.signup_create(tenant=t, slot=slot) for t in (c, d, e)]
    with time_machine.travel(slot.starts_at - 5 * H, tick=False):
        actions.signup_cancel(signup=first, actor=a.user)
    waiting[0].refresh_from_db()
    assert waiting[0].offer_expires_at == slot.starts_at - 2 * H

    with time_machine.travel(slot.starts_at - 2 * H, tick=False):
        actions.offers_expire()

    for w in waiting:
        w.refresh_from_db()
    assert [w.status for w in waiting] == ["cancelled", "offered", "offered"]
    assert [w.offer_shared for w in waiting[1:]] == [True, True]


def test_declining_an_offer_passes_it_on(slot, make_tenants):
    a, b, c, d = make_tenants(4)
    first = actions.signup_create(tenant=a, slot=slot)
    actions.signup_create(tenant=b, slot=slot)
    waiting_c = actions.signup_create(tenant=c, slot=slot)
    waiting_d = actions.signup_create(tenant=d, slot=slot)
    actions.signup_cancel(signup=first, actor=a.user)

    actions.signup_cancel(signup=waiting_c, actor=c.user)

    waiting_d.refresh_from_db()
    assert waiting_d.status == "offered"


def test_accepting_an_offer_that_overlaps_a_confirmed_slot_is_refused(slot, mission, make_tenants):
    a, b, c = make_tenants(3)
    first = actions.signup_create(tenant=a, slot=slot)
    actions.signup_create(tenant=b, slot=slot)
    waiting = actions.signup_create(tenant=c, slot=slot)
    same_time = SlotFactory(mission=mission, starts_at=slot.starts_at, ends_at=slot.ends_at)
    actions.signup_create(tenant=c, slot=same_time)
    actions.signup_cancel(signup=first, actor=a.user)

    with pytest.raises(actions.OverlappingSignup):
        actions.offer_accept(signup=waiting, tenant=c)
    waiting.refresh_from_db()
    assert waiting.status == "offered"


def test_only_the_offered_tenant_may_accept(slot, make_tenants):
    a, b, _c = make_tenants(3)
    confirmed = actions.signup_create(tenant=a, slot=slot)
    with pytest.raises(actions.NoOffer):
        actions.offer_accept(signup=confirmed, tenant=a)
    with pytest.raises(NotFound):
        actions.offer_accept(signup=confirmed, tenant=b)


def test_a_tenant_cannot_cancel_after_the_start_but_staff_can_and_tell_them(slot, world):
    signup = actions.signup_create(tenant=world.tenant_a, slot=slot)

    with time_machine.travel(slot.starts_at, tick=False):
        with pytest.raises(actions.SlotStarted):
            actions.signup_cancel(signup=signup, actor=world.tenant_a.user)
        assert not Notification.objects.exists()
        cancelled = actions.signup_cancel(signup=signup, actor=world.staff_a.user)

    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "staff")
    note = Notification.objects.get(recipient=world.tenant_a.user)
    assert note.kind == "volunteering.signup_cancelled"


def test_other_people_cannot_cancel_a_signup(slot, world):
    signup = actions.signup_create(tenant=world.tenant_a, slot=slot)

    with pytest.raises(actions.NotAllowed):
        actions.signup_cancel(signup=signup, actor=world.tenant_a2.user)
    with pytest.raises(actions.NotAllowed):
        actions.signup_cancel(signup=signup, actor=world.staff_b.user)
    signup.refresh_from_db()
    assert signup.status == "confirmed"


def test_waitlist_is_offered_in_the_last_two_hours_to_a_newcomer_too(slot, make_tenants):
    """A newcomer during a shared offer joins the queue and shares the offer."""
    a, b, c, d = make_tenants(4)
    first = actions.signup_create(tenant=a, slot=slot)
    actions.signup_create(tenant=b, slot=slot)
    actions.signup_create(tenant=c, slot=slot)
    with time_machine.travel(slot.starts_at - H, tick=False):
        actions.signup_cancel(signup=first, actor=a.user)
        late = actions.signup_create(tenant=d, slot=slot)
    assert (late.status, late.offer_shared) == ("offered", True)


def test_the_offer_is_told_in_each_tenants_language(slot, make_tenants):
    a, b, c = make_tenants(3)
    c.user.language = "en"
    c.user.save(update_fields=["language"])
    first = actions.signup_create(tenant=a, slot=slot)
    actions.signup_create(tenant=b, slot=slot)
    actions.signup_create(tenant=c, slot=slot)

    actions.signup_cancel(signup=first, actor=a.user)

    note = Notification.objects.get(recipient=c.user)
    assert note.title == "A place is free: Jardin partagé"
    again = actions.signup_create(tenant=a, slot=slot)  # joins the line again
    assert again.status == "waitlisted"
    actions.signup_cancel(signup=Signup.objects.get(tenant=c, status="offered"), actor=c.user)
    assert Notification.objects.get(recipient=a.user).title == (
        "Une place s'est libérée : Jardin partagé"
    )
