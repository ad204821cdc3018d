import datetime as dt
from decimal import Decimal

import pytest

from services.volunteering import actions
from services.volunteering.models import Mission, Signup, Slot
from tests.conftest import client_for
from tests.factories import TenantFactory
from tests.factories.volunteering import MissionFactory, SlotFactory, in_days

pytestmark = pytest.mark.django_db

URL = "/api/v1/volunteering/missions/"


def _ids(response):
    return [row["id"] for row in response.json()["results"]]


def test_tenant_sees_published_missions_open_to_them_with_places_left(world):
    open_all = MissionFactory(landlord=world.landlord_a, title="Repair café")
    slot = SlotFactory(mission=open_all, capacity=3)
    mine = MissionFactory(landlord=world.landlord_a, residence=world.residence_a)
    SlotFactory(mission=mine)
    other_residence = MissionFactory(landlord=world.landlord_a, residence=world.residence_a2)
    MissionFactory(landlord=world.landlord_a, status="draft")
    MissionFactory(landlord=world.landlord_b)
    actions.signup_create(tenant=world.tenant_a, slot=slot)

    response = client_for(world.tenant_a.user).get(URL)

    assert response.status_code == 200
    assert set(_ids(response)) == {str(open_all.public_id), str(mine.public_id)}
    row = next(r for r in response.json()["results"] if r["id"] == str(open_all.public_id))
    slots = row["slots"]
    assert [(x["id"], x["capacity"], x["places_left"], x["status"]) for x in slots] == [
        (str(slot.public_id), 3, 2, "open")
    ]
    assert dt.datetime.fromisoformat(slots[0]["starts_at"]) == slot.starts_at
    mine = Signup.objects.get(tenant=world.tenant_a)
    assert slots[0]["my_signup"] == {
        "id": str(mine.public_id),
        "status": "confirmed",
        "waitlist_position": None,
        "offer_expires_at": None,
    }
    assert row["residence"] is None
    assert "proposed_by" not in row
    other = client_for(world.tenant_a2.user).get(URL)
    assert set(_ids(other)) == {str(open_all.public_id), str(other_residence.public_id)}


def test_another_landlords_mission_and_a_restricted_one_are_404(world):
    foreign = MissionFactory(landlord=world.landlord_b)
    restricted = MissionFactory(landlord=world.landlord_a, residence=world.residence_a)
    tenant_a2 = client_for(world.tenant_a2.user)

    assert tenant_a2.get(f"{URL}{foreign.public_id}/").status_code == 404
    assert tenant_a2.get(f"{URL}{restricted.public_id}/").status_code == 404
    assert client_for(world.tenant_a.user).get(f"{URL}{restricted.public_id}/").status_code == 200
    assert client_for(world.staff_b.user).get(f"{URL}{restricted.public_id}/").status_code == 404


def test_upcoming_first_and_filters(world):
    later = MissionFactory(landlord=world.landlord_a, category="clean_up")
    SlotFactory(mission=later, starts_at=in_days(9))
    sooner = MissionFactory(landlord=world.landlord_a, category="repair_cafe")
    SlotFactory(mission=sooner, starts_at=in_days(2))
    past = MissionFactory(landlord=world.landlord_a, category="clean_up")
    SlotFactory(mission=past, starts_at=in_days(-2))
    client = client_for(world.tenant_a.user)

    assert _ids(client.get(URL)) == [str(m.public_id) for m in (sooner, later, past)]
    assert _ids(client.get(URL, {"category": "clean_up"})) == [
        str(later.public_id),
        str(past.public_id),
    ]
    assert _ids(client.get(URL, {"date": in_days(2).date().isoformat()})) == [str(sooner.public_id)]
    bad = client.get(URL, {"category": "nope"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid"


def test_nearest_first_when_the_app_sends_coordinates(world):
    far = MissionFactory(
        landlord=world.landlord_a, latitude=Decimal("45.937"), longitude=Decimal("-0.961")
    )
    near = MissionFactory(
        landlord=world.landlord_a, latitude=Decimal("46.160"), longitude=Decimal("-1.150")
    )
    for mission in (far, near):
        SlotFactory(mission=mission)

    response = client_for(world.tenant_a.user).get(URL, {"lat": "46.16", "lng": "-1.15"})

    assert _ids(response) == [str(near.public_id), str(far.public_id)]
    distances = [row["distance_km"] for row in response.json()["results"]]
    assert distances[0] == 0.0
    assert 25 < distances[1] < 35  # La Rochelle → Rochefort, as the crow flies
    assert client_for(world.tenant_a.user).get(URL, {"lat": "46.16"}).status_code == 400


@pytest.mark.parametrize("rows", [1, 6])
def test_mission_list_query_count_does_not_grow(world, rows, django_assert_num_queries):
    for _ in range(rows):
        mission = MissionFactory(landlord=world.landlord_a)
        for days in (3, 4):
            slot = SlotFactory(mission=mission, starts_at=in_days(days))
            actions.signup_create(tenant=TenantFactory(residence=world.residence_a), slot=slot)
    client = client_for(world.tenant_a.user)
    # user (with tenant/staff), tenancy (scoping), missions, slots with their places, my sign-ups
    with django_assert_num_queries(5):
        assert len(client.get(URL).json()["results"]) == rows
    staff = client_for(world.staff_a.user)
    with django_assert_num_queries(3):
        assert len(staff.get(URL).json()["results"]) == rows


def test_staff_create_and_edit_a_mission(world):
    client = client_for(world.staff_a.user)
    start = in_days(10)
    response = client.post(
        URL,
        {
            "title": "Jardin partagé des Minimes",
            "category": "shared_garden",
            "residence": str(world.residence_a.public_id),
            "place": "Jardin des Minimes",
            "latitude": "46.145000",
            "longitude": "-1.165000",
            "points": 40,
            "status": "published",
            "slots": [
                {
                    "starts_at": start.isoformat(),
                    "ends_at": (start + dt.timedelta(hours=3)).isoformat(),
                    "capacity": 6,
                }
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["points"], body["residence"]) == (
        "published",
        40,
        str(world.residence_a.public_id),
    )
    assert body["slots"][0]["places_left"] == 6

    patch = client.patch(
        f"{URL}{body['id']}/",
        {
            "points": 60,
            "slots": [
                {"id": body["slots"][0]["id"], "capacity": 8},
                {
                    "starts_at": (start + dt.timedelta(days=7)).isoformat(),
                    "ends_at": (start + dt.timedelta(days=7, hours=2)).isoformat(),
                    "capacity": 4,
                },
            ],
        },
        format="json",
    )
    assert patch.status_code == 200, patch.json()
    assert patch.json()["points"] == 60
    assert [s["capacity"] for s in patch.json()["slots"]] == [8, 4]

    stale = client.patch(
        f"{URL}{body['id']}/", {"status": "cancelled", "expected_status": "draft"}, format="json"
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_status"
    assert Mission.objects.get().status == "published"


def test_invalid_mission_input_is_a_clear_400(world):
    client = client_for(world.staff_a.user)
    response = client.post(URL, {"title": "x", "slots": []}, format="json")
    assert response.status_code == 400
    fields = {key.split(".")[0] for key in response.json()["fields"]}
    assert {"category", "place", "slots"} <= fields
    past = in_days(-3)
    response = client.post(
        URL,
        {
            "title": "x",
            "category": "event",
            "place": "ici",
            "latitude": "46.1",
            "longitude": "-1.1",
            "slots": [
                {
                    "starts_at": past.isoformat(),
                    "ends_at": (past + dt.timedelta(hours=1)).isoformat(),
                    "capacity": 2,
                }
            ],
        },
        format="json",
    )
    assert (response.status_code, response.json()["code"]) == (400, "invalid_slot")
    assert not Mission.objects.exists()


def test_tenant_proposes_an_initiative_and_staff_approve_it(world):
    tenant = client_for(world.tenant_a.user)
    start = in_days(6)
    response = tenant.post(
        "/api/v1/volunteering/initiatives/",
        {
            "title": "Atelier vélo",
            "category": "repair_cafe",
            "slots": [
                {
                    "starts_at": start.isoformat(),
                    "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
                    "capacity": 5,
                }
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    initiative = response.json()
    assert (initiative["status"], initiative["is_initiative"]) == ("proposed", True)
    assert _ids(tenant.get(URL)) == []

    staff = client_for(world.staff_a.user)
    assert _ids(staff.get("/api/v1/volunteering/initiatives/")) == [initiative["id"]]
    review = staff.post(
        f"/api/v1/volunteering/initiatives/{initiative['id']}/review/",
        {"decision": "approve", "points": 25},
        format="json",
    )
    assert review.status_code == 200
    assert (review.json()["status"], review.json()["points"]) == ("published", 25)
    assert _ids(tenant.get(URL)) == [initiative["id"]]
    assert _ids(client_for(world.tenant_a2.user).get(URL)) == []


@pytest.mark.parametrize("params", [{}, {"lat": "46.16", "lng": "-1.15"}])
def test_the_cursor_walks_every_page_in_order(world, params):
    missions = []
    for days in (4, 2, 6):
        mission = MissionFactory(
            landlord=world.landlord_a, latitude=Decimal("46.16") - Decimal(days) / 100
        )
        SlotFactory(mission=mission, starts_at=in_days(days))
        missions.append(mission)
    client = client_for(world.tenant_a.user)

    seen, url = [], URL
    response = client.get(url, {**params, "page_size": 1})
    for _page in range(5):  # bounded: a broken cursor must fail, not loop
        body = response.json()
        seen += [row["id"] for row in body["results"]]
        if not body["next"]:
            break
        response = client.get(body["next"])

    expected = [missions[1], missions[0], missions[2]]  # soonest = nearest here
    assert seen == [str(m.public_id) for m in expected]


def test_updated_since_includes_missions_whose_places_changed(world):
    old = MissionFactory(landlord=world.landlord_a)
    busy = MissionFactory(landlord=world.landlord_a)
    busy_slot = SlotFactory(mission=busy, starts_at=in_days(8))
    SlotFactory(mission=old, starts_at=in_days(9))
    Mission.objects.update(updated_at=in_days(-3))
    Slot.objects.update(updated_at=in_days(-3))
    fresh = MissionFactory(landlord=world.landlord_a)
    since = in_days(-1).isoformat()
    client = client_for(world.tenant_a.user)

    assert _ids(client.get(URL, {"updated_since": since})) == [str(fresh.public_id)]
    actions.signup_create(tenant=world.tenant_a2, slot=busy_slot)

    # A sync walk goes newest first (the order rows never leave while they change).
    assert _ids(client.get(URL, {"updated_since": since})) == [
        str(fresh.public_id),
        str(busy.public_id),
    ]


@pytest.mark.parametrize("rows", [1, 5])
def test_initiative_list_query_count_does_not_grow(world, rows, django_assert_num_queries):
    for _ in range(rows):
        mission = MissionFactory(
            landlord=world.landlord_a,
            residence=world.residence_a,
            status="proposed",
            proposed_by=world.tenant_a,
        )
        SlotFactory(mission=mission)
    # user, initiatives, their slots (and, for the tenant, their own sign-ups)
    for user, queries in ((world.tenant_a.user, 4), (world.staff_a.user, 3)):
        client = client_for(user)
        with django_assert_num_queries(queries):
            assert len(client.get("/api/v1/volunteering/initiatives/").json()["results"]) == rows


def test_residence_filter(world):
    minimes = MissionFactory(landlord=world.landlord_a, residence=world.residence_a)
    MissionFactory(landlord=world.landlord_a)
    staff = client_for(world.staff_a.user)

    response = staff.get(URL, {"residence": str(world.residence_a.public_id)})

    assert _ids(response) == [str(minimes.public_id)]


def test_a_tenant_sees_their_place_in_line_on_the_mission(world):
    slot = SlotFactory(mission=MissionFactory(landlord=world.landlord_a), capacity=1)
    actions.signup_create(tenant=world.tenant_a2, slot=slot)
    actions.signup_create(tenant=world.tenant_a, slot=slot)

    row = client_for(world.tenant_a.user).get(f"{URL}{slot.mission.public_id}/").json()
    staff_row = client_for(world.staff_a.user).get(f"{URL}{slot.mission.public_id}/").json()

    assert row["slots"][0]["my_signup"]["status"] == "waitlisted"
    assert row["slots"][0]["my_signup"]["waitlist_position"] == 1
    assert row["slots"][0]["places_left"] == 0
    assert staff_row["slots"][0]["my_signup"] is None
