import datetime as dt

import pytest
import time_machine

from notifications.models import Notification
from services.loyalty.selectors import account_balance
from services.volunteering import actions, checkin
from services.volunteering.models import Signup
from tests.conftest import client_for
from tests.factories import TenantFactory
from tests.factories.volunteering import MissionFactory, SlotFactory, in_days

pytestmark = pytest.mark.django_db

SIGNUPS = "/api/v1/volunteering/signups/"


@pytest.fixture
def slot(world):
    return SlotFactory(mission=MissionFactory(landlord=world.landlord_a, points=30), capacity=1)


def _signup_url(slot):
    return f"/api/v1/volunteering/slots/{slot.public_id}/signups/"


def test_signup_answers_confirmed_then_waitlisted_with_position(world, slot):
    first = client_for(world.tenant_a.user).post(_signup_url(slot), {}, format="json")
    second = client_for(world.tenant_a2.user).post(_signup_url(slot), {}, format="json")

    assert first.status_code == 201
    assert (first.json()["status"], first.json()["waitlist_position"]) == ("confirmed", None)
    assert second.status_code == 201
    assert (second.json()["status"], second.json()["waitlist_position"]) == ("waitlisted", 1)
    assert second.json()["slot"] == str(slot.public_id)


def test_signup_is_idempotent_with_a_key_and_a_second_try_is_409(world, slot):
    client = client_for(world.tenant_a.user)
    headers = {"HTTP_IDEMPOTENCY_KEY": "signup-1"}

    first = client.post(_signup_url(slot), {}, format="json", **headers)
    replay = client.post(_signup_url(slot), {}, format="json", **headers)
    again = client.post(_signup_url(slot), {}, format="json")

    assert replay.status_code == 201
    assert replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert (again.status_code, again.json()["code"]) == (409, "already_signed_up")
    assert Signup.objects.count() == 1


def test_signup_to_a_started_slot_is_409_in_the_users_language(world, slot):
    with time_machine.travel(slot.starts_at, tick=False):
        response = client_for(world.tenant_a.user).post(
            _signup_url(slot), {}, format="json", HTTP_ACCEPT_LANGUAGE="en"
        )
    assert response.status_code == 409
    assert response.json() == {
        "code": "slot_started",
        "message": "This slot has already started.",
        "fields": {},
    }


def test_cancel_and_accept_offer(world, slot):
    a = client_for(world.tenant_a.user)
    b = client_for(world.tenant_a2.user)
    mine = a.post(_signup_url(slot), {}, format="json").json()
    waiting = b.post(_signup_url(slot), {}, format="json").json()

    cancelled = a.post(f"{SIGNUPS}{mine['id']}/cancel/")
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    offered = b.get(f"{SIGNUPS}{waiting['id']}/").json()
    assert offered["status"] == "offered"
    assert offered["offer_expires_at"] is not None

    assert a.post(f"{SIGNUPS}{waiting['id']}/accept-offer/").status_code == 404
    accepted = b.post(f"{SIGNUPS}{waiting['id']}/accept-offer/")
    assert (accepted.status_code, accepted.json()["status"]) == (200, "confirmed")
    again = b.post(f"{SIGNUPS}{waiting['id']}/accept-offer/")
    assert (again.status_code, again.json()["code"]) == (409, "no_offer")


def test_staff_list_a_slots_signups_and_cancel_one(world, slot):
    signup = actions.signup_create(tenant=world.tenant_a, slot=slot)
    staff = client_for(world.staff_a.user)

    listed = staff.get(SIGNUPS, {"slot": str(slot.public_id)}).json()["results"]
    assert [row["id"] for row in listed] == [str(signup.public_id)]
    assert listed[0]["tenant_name"] == world.tenant_a.user.full_name
    assert client_for(world.staff_b.user).get(SIGNUPS).json()["results"] == []

    response = staff.post(f"{SIGNUPS}{signup.public_id}/cancel/")
    assert (response.status_code, response.json()["cancel_reason"]) == (200, "staff")
    assert Notification.objects.get(recipient=world.tenant_a.user).kind == (
        "volunteering.signup_cancelled"
    )


@pytest.mark.parametrize("rows", [1, 6])
def test_signup_list_query_count_does_not_grow(world, rows, django_assert_num_queries):
    mission = MissionFactory(landlord=world.landlord_a)
    for day in range(rows):
        full = SlotFactory(mission=mission, starts_at=in_days(day + 1), capacity=1)
        actions.signup_create(tenant=TenantFactory(residence=world.residence_a), slot=full)
        actions.signup_create(tenant=world.tenant_a, slot=full)  # waitlisted, with a position
    tenant = client_for(world.tenant_a.user)
    with django_assert_num_queries(2):  # user (with tenant), sign-ups with their positions
        results = tenant.get(SIGNUPS).json()["results"]
    assert [row["waitlist_position"] for row in results] == [1] * rows
    staff = client_for(world.staff_a.user)
    with django_assert_num_queries(2):
        assert len(staff.get(SIGNUPS).json()["results"]) == 2 * rows


def test_attendance_in_bulk_awards_points_and_corrects(world):
    slot = SlotFactory(mission=MissionFactory(landlord=world.landlord_a, points=30), capacity=5)
    a = actions.signup_create(tenant=world.tenant_a, slot=slot)
    b = actions.signup_create(tenant=world.tenant_a2, slot=slot)
    url = f"/api/v1/volunteering/slots/{slot.public_id}/attendance/"
    staff = client_for(world.staff_a.user)

    early = staff.post(url, [{"signup": str(a.public_id), "attended": True}], format="json")
    assert (early.status_code, early.json()["code"]) == (409, "attendance_too_early")

    with time_machine.travel(slot.ends_at + dt.timedelta(hours=1), tick=False):
        staff = client_for(world.staff_a.user)  # access tokens live 10 minutes
        response = staff.post(
            url,
            [
                {"signup": str(a.public_id), "attended": True},
                {"signup": str(b.public_id), "attended": False},
            ],
            format="json",
        )
        assert response.status_code == 200, response.json()
        assert sorted(row["status"] for row in response.json()) == ["attended", "no_show"]
        assert account_balance(tenant=world.tenant_a) == 30

        corrected = staff.post(
            url, [{"signup": str(a.public_id), "attended": False}], format="json"
        )
        assert corrected.json()[0]["status"] == "no_show"
        assert account_balance(tenant=world.tenant_a) == 0

        bad = staff.post(url, [{"signup": "nope", "attended": True}], format="json")
        assert bad.status_code == 400


def test_tenant_checks_in_with_the_code_staff_read(world, slot):
    actions.signup_create(tenant=world.tenant_a, slot=slot)
    base = f"/api/v1/volunteering/slots/{slot.public_id}"
    during = slot.starts_at + dt.timedelta(minutes=20)
    with time_machine.travel(during, tick=False):
        shown = client_for(world.staff_a.user).get(f"{base}/check-in-code/")
        assert shown.status_code == 200
        code = shown.json()["code"]
        assert code == checkin.code_at(slot.checkin_secret, during)

        tenant = client_for(world.tenant_a.user)
        wrong = "000000" if code != "000000" else "111111"
        refused = tenant.post(f"{base}/check-in/", {"code": wrong}, format="json")
        assert (refused.status_code, refused.json()["code"]) == (400, "invalid_checkin_code")
        response = tenant.post(f"{base}/check-in/", {"code": code}, format="json")
        assert (response.status_code, response.json()["status"]) == (200, "attended")
        assert response.json()["checked_in_at"] is not None
    closed = client_for(world.tenant_a.user).post(
        f"{base}/check-in/", {"code": code}, format="json"
    )
    assert (closed.status_code, closed.json()["code"]) == (409, "checkin_closed")


def test_the_record(world, slot):
    signup = actions.signup_create(tenant=world.tenant_a, slot=slot)
    with time_machine.travel(slot.ends_at, tick=False):
        actions.attendance_mark(
            actor=world.staff_a.user, slot=slot, marks=[(signup.public_id, True)]
        )

    body = client_for(world.tenant_a.user).get("/api/v1/volunteering/record/").json()

    assert (body["hours"], body["missions"], body["sessions"]) == (2.0, 1, 1)
    assert body["by_category"] == [
        {"category": "neighbour_help", "hours": 2.0, "missions": 1, "sessions": 1}
    ]
    assert body["attended"][0]["signup"] == str(signup.public_id)
    assert client_for(world.tenant_a2.user).get("/api/v1/volunteering/record/").json()["hours"] == 0


def test_errors_are_in_french_by_default(world, slot):
    client = client_for(world.tenant_a.user)
    client.post(_signup_url(slot), {}, format="json")
    response = client.post(_signup_url(slot), {}, format="json")
    assert response.json()["message"] == "Vous êtes déjà inscrit·e à ce créneau."


def test_a_stale_expected_status_is_409_and_changes_nothing(world, slot):
    client = client_for(world.tenant_a.user)
    signup = client.post(_signup_url(slot), {}, format="json").json()

    response = client.post(
        f"{SIGNUPS}{signup['id']}/cancel/", {"expected_status": "waitlisted"}, format="json"
    )

    assert (response.status_code, response.json()["code"]) == (409, "stale_status")
    assert Signup.objects.get().status == "confirmed"
    ok = client.post(
        f"{SIGNUPS}{signup['id']}/cancel/", {"expected_status": "confirmed"}, format="json"
    )
    assert ok.json()["status"] == "cancelled"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("attendance/", {"signup": "x"}),
        ("attendance/", [{"signup": "not-a-uuid", "attended": "maybe"}]),
        ("check-in/", {"code": "1234567890123"}),
        ("check-in/", ["123456"]),
    ],
)
def test_malformed_bodies_are_a_clear_400(world, slot, path, body):
    user = world.staff_a.user if path == "attendance/" else world.tenant_a.user
    url = f"/api/v1/volunteering/slots/{slot.public_id}/{path}"

    response = client_for(user).post(url, body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
