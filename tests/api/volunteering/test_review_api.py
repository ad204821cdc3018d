"""API problems found in review: each test failed before its fix."""

import datetime as dt

import pytest
import time_machine

from services.volunteering import actions
from tests.conftest import client_for
from tests.factories.volunteering import MissionFactory, SlotFactory

pytestmark = pytest.mark.django_db

MISSIONS = "/api/v1/volunteering/missions/"
SIGNUPS = "/api/v1/volunteering/signups/"


@pytest.mark.parametrize(
    ("params", "cursor"),
    [
        ("", "cD1hYmM="),  # p=abc
        ("", "cD0yMDI2"),  # p=2026: not a date-time
        ("&lat=46.16&lng=-1.15", "cD1hYmM="),  # p=abc: not a distance key
        ("&lat=46.16&lng=-1.15", "cD0xMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA="),  # p=10**25
    ],
)
def test_a_forged_cursor_is_a_clear_400_not_a_500(world, params, cursor):
    MissionFactory(landlord=world.landlord_a)
    response = client_for(world.tenant_a.user).get(f"{MISSIONS}?cursor={cursor}{params}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


def test_signups_updated_since_sees_an_offer_made_later(world):
    slot = SlotFactory(mission=MissionFactory(landlord=world.landlord_a), capacity=1)
    first = actions.signup_create(tenant=world.tenant_a, slot=slot)
    waiting = actions.signup_create(tenant=world.tenant_a2, slot=slot)
    synced_at = slot.starts_at - dt.timedelta(days=3)
    with time_machine.travel(synced_at, tick=False):
        actions.signup_cancel(signup=first, actor=world.tenant_a.user)
        client = client_for(world.tenant_a2.user)
        since = synced_at.isoformat().replace("+00:00", "Z")
        rows = client.get(SIGNUPS, {"updated_since": since}).json()["results"]
    assert [(row["id"], row["status"]) for row in rows] == [(str(waiting.public_id), "offered")]


def test_moving_a_slot_onto_a_tenants_other_slot_is_a_409(world):
    mission = MissionFactory(landlord=world.landlord_a)
    morning = SlotFactory(mission=mission)
    afternoon = SlotFactory(mission=mission, starts_at=morning.starts_at + dt.timedelta(hours=5))
    actions.signup_create(tenant=world.tenant_a, slot=morning)
    actions.signup_create(tenant=world.tenant_a, slot=afternoon)

    response = client_for(world.staff_a.user).patch(
        f"{MISSIONS}{mission.public_id}/",
        {"slots": [{"id": str(afternoon.public_id), "starts_at": morning.starts_at.isoformat()}]},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "slot_move_overlaps"
    assert body["message"] == (
        "Some confirmed volunteers are on another slot at that time: "
        "cancel their sign-ups or choose another time."
    )
    assert body["fields"] == {}
    in_french = client_for(world.staff_a.user).patch(
        f"{MISSIONS}{mission.public_id}/",
        {"slots": [{"id": str(afternoon.public_id), "starts_at": morning.starts_at.isoformat()}]},
        format="json",
    )
    assert in_french.json()["message"] == (
        "Des bénévoles confirmés sont sur un autre créneau à cette heure-là : annulez "
        "leurs inscriptions ou choisissez un autre horaire."
    )


def test_input_errors_of_the_api_are_in_french(world):
    mission = MissionFactory(landlord=world.landlord_a)
    new_slot = client_for(world.staff_a.user).patch(
        f"{MISSIONS}{mission.public_id}/",
        {"slots": [{"starts_at": "2030-01-01T10:00:00Z"}]},
        format="json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    half_point = client_for(world.tenant_a.user).get(
        MISSIONS, {"lat": "46.1"}, HTTP_ACCEPT_LANGUAGE="fr"
    )

    assert new_slot.status_code == 400
    assert new_slot.json()["fields"] == {
        "slots.0.non_field_errors": [
            "Un nouveau créneau a besoin de starts_at, ends_at et capacity."
        ]
    }
    assert half_point.status_code == 400
    assert half_point.json()["fields"] == {"lng": ["Envoyez à la fois lat et lng."]}


def test_the_initiative_notification_title_is_translated(world):
    from notifications.models import Notification

    client_for(world.tenant_a.user).post(
        "/api/v1/volunteering/initiatives/",
        {
            "title": "Troc de graines",
            "category": "shared_garden",
            "slots": [
                {
                    "starts_at": "2030-04-01T14:00:00Z",
                    "ends_at": "2030-04-01T16:00:00Z",
                    "capacity": 10,
                }
            ],
        },
        format="json",
    )
    notification = Notification.objects.get(kind="volunteering.initiative_proposed")
    assert notification.recipient.language == "fr"
    assert notification.title == "Nouvelle initiative à examiner : Troc de graines"


def test_a_restricted_missions_slot_is_404_to_other_residences_on_every_route(world):
    restricted = MissionFactory(landlord=world.landlord_a, residence=world.residence_a)
    slot = SlotFactory(mission=restricted, capacity=1)
    mine = actions.signup_create(tenant=world.tenant_a, slot=slot)
    base = f"/api/v1/volunteering/slots/{slot.public_id}"

    with time_machine.travel(slot.starts_at + dt.timedelta(minutes=5), tick=False):
        other_residence = client_for(world.tenant_a2.user)
        other_landlord = client_for(world.staff_b.user)
        answers = [
            other_residence.post(f"{base}/signups/", {}, format="json"),
            other_residence.post(f"{base}/check-in/", {"code": "123456"}, format="json"),
            other_residence.get(f"{SIGNUPS}{mine.public_id}/"),
            other_residence.post(f"{SIGNUPS}{mine.public_id}/cancel/", {}, format="json"),
            other_landlord.post(
                f"{base}/attendance/",
                [{"signup": str(mine.public_id), "attended": True}],
                format="json",
            ),
            other_landlord.get(f"{base}/check-in-code/"),
            other_landlord.get(f"{SIGNUPS}{mine.public_id}/"),
        ]
        listed = other_residence.get(SIGNUPS).json()["results"]

    assert [a.status_code for a in answers] == [404] * 7
    assert listed == []
    mine.refresh_from_db()
    assert mine.status == "confirmed"
