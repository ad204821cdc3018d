"""Each periodic volunteering task goes on past one poisoned item: logged with its id,
counted, the others processed (issue 10 §4)."""

import datetime as dt

import pytest
import time_machine

from notifications.models import Notification
from services.volunteering import tasks
from services.volunteering.models import Mission, Signup
from tests.factories.volunteering import MissionFactory, SignupFactory, SlotFactory
from tests.poison import failed_ids, refuse

pytestmark = pytest.mark.django_db


def test_lapsing_offers_goes_on_past_a_slot_the_database_refuses(world, caplog):
    slots = [SlotFactory(mission=MissionFactory(landlord=world.landlord_a)) for _ in range(2)]
    deadline = slots[0].starts_at - dt.timedelta(days=2)
    offers = [
        SignupFactory(slot=slot, status=Signup.Status.OFFERED, offer_expires_at=deadline)
        for slot in slots
    ]
    poisoned = slots[0]
    refuse(Signup, on="UPDATE", when=f"OLD.slot_id = {poisoned.pk}")

    with time_machine.travel(deadline + dt.timedelta(minutes=1), tick=False):
        assert tasks.expire_offers() == 1

    statuses = [Signup.objects.get(pk=offer.pk).status for offer in offers]
    assert statuses == [Signup.Status.OFFERED, Signup.Status.CANCELLED]
    assert failed_ids(caplog, "volunteering.expire_offers") == [str(poisoned.pk)]


@pytest.fixture
def two_slots(world):
    """Two missions of one slot each, with one confirmed volunteer per slot."""
    slots = [SlotFactory(mission=MissionFactory(landlord=world.landlord_a)) for _ in range(2)]
    signups = [SignupFactory(slot=slot) for slot in slots]
    return slots, signups


def _told(kind: str) -> list[int]:
    return list(Notification.objects.filter(kind=kind).values_list("recipient", flat=True))


def test_reminders_go_on_past_a_signup_the_database_refuses(two_slots, caplog):
    slots, (poisoned, healthy) = two_slots
    refuse(Signup, on="UPDATE", when=f"OLD.id = {poisoned.pk}")

    with time_machine.travel(slots[0].starts_at - dt.timedelta(hours=2), tick=False):
        assert tasks.send_reminders() == 1

    assert _told("volunteering.reminder") == [healthy.tenant.user_id]
    assert failed_ids(caplog, "volunteering.reminders") == [str(poisoned.pk)]


def test_followups_and_completion_go_on_past_rows_the_database_refuses(two_slots, caplog):
    slots, (poisoned, healthy) = two_slots
    refuse(Signup, on="UPDATE", when=f"OLD.id = {poisoned.pk}")
    refuse(Mission, on="UPDATE", when=f"OLD.id = {slots[0].mission_id}")

    with time_machine.travel(slots[1].ends_at + dt.timedelta(hours=1), tick=False):
        tasks.send_reminders()

    assert _told("volunteering.followup") == [healthy.tenant.user_id]
    statuses = [Mission.objects.get(pk=slot.mission_id).status for slot in slots]
    assert statuses == [Mission.Status.PUBLISHED, Mission.Status.COMPLETED]
    assert failed_ids(caplog, "volunteering.followups") == [str(poisoned.pk)]
    assert failed_ids(caplog, "volunteering.missions_complete") == [str(slots[0].mission_id)]
