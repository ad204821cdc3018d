"""Console volunteering pages: scoped to the staff's landlord, every write through the
volunteering actions, forms that keep what was typed and show the domain's refusal."""

import datetime as dt

import pytest
import time_machine

from notifications.models import Notification
from services.loyalty.models import Account
from services.volunteering import actions
from services.volunteering.models import Mission, Signup, Slot
from tests.factories import TenantFactory
from tests.factories.volunteering import MissionFactory, SignupFactory, SlotFactory, in_days

pytestmark = pytest.mark.django_db


def _mission_form(**overrides):
    data = {
        "title": "Jardin partagé : plantations d'automne",
        "category": "shared_garden",
        "description": "On plante les bulbes.",
        "residence": "",
        "place": "Jardin des Minimes",
        "latitude": "46.150000",
        "longitude": "-1.160000",
        "points": "40",
        "adults_only": "on",
        "starts_at": in_days(5).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (in_days(5) + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "capacity": "8",
    }
    data.update(overrides)
    return data


def _slot(world, **kwargs):
    mission = MissionFactory(landlord=world.landlord_a, **kwargs)
    return SlotFactory(mission=mission)


# --- Roles and scoping ---------------------------------------------------------------------


@pytest.mark.parametrize("who", ["tenant", "employer", "advisor"])
def test_other_roles_are_refused_every_volunteering_page(world, console, web_client, who):
    slot = _slot(world)
    user = {
        "tenant": world.tenant_a.user,
        "employer": world.employer_member.user,
        "advisor": console.advisor_a.user,
    }[who]
    client = web_client(user)
    for url in (
        "/console/volunteering/",
        "/console/volunteering/missions/new/",
        f"/console/volunteering/missions/{slot.mission.public_id}/",
        f"/console/volunteering/slots/{slot.public_id}/",
        f"/console/volunteering/slots/{slot.public_id}/attendance/",
        f"/console/volunteering/slots/{slot.public_id}/checkin/",
        "/console/volunteering/signups/",
        "/console/volunteering/initiatives/",
        "/console/volunteering/stats/",
    ):
        assert client.get(url).status_code == 403, url


def test_another_landlords_mission_and_slot_are_404(world, console, web_client):
    slot = _slot(world, status=Mission.Status.DRAFT)
    mission = slot.mission
    signup = SignupFactory(slot=slot, tenant=world.tenant_a)
    client = web_client(console.admin_b.user)
    for url in (
        f"/console/volunteering/missions/{mission.public_id}/",
        f"/console/volunteering/missions/{mission.public_id}/edit/",
        f"/console/volunteering/missions/{mission.public_id}/cancel/",
        f"/console/volunteering/slots/{slot.public_id}/",
        f"/console/volunteering/slots/{slot.public_id}/attendance/",
        f"/console/volunteering/slots/{slot.public_id}/checkin/",
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(f"/console/volunteering/missions/{mission.public_id}/publish/").status_code
        == 404
    )
    assert client.post(f"/console/volunteering/slots/{slot.public_id}/cancel/").status_code == 404
    with time_machine.travel(slot.starts_at + dt.timedelta(minutes=5), tick=False):
        response = client.post(
            f"/console/volunteering/slots/{slot.public_id}/attendance/",
            {"signup": str(signup.public_id), "attended": "1"},
        )
    assert response.status_code == 404
    mission.refresh_from_db()
    signup.refresh_from_db()
    assert mission.status == Mission.Status.DRAFT
    assert signup.status == Signup.Status.CONFIRMED
    listing = client.get("/console/volunteering/missions/").content.decode()
    assert mission.title not in listing


def test_another_landlords_initiative_cannot_be_reviewed(world, console, web_client):
    mission = MissionFactory(
        landlord=world.landlord_a,
        residence=world.residence_a,
        status=Mission.Status.PROPOSED,
        proposed_by=world.tenant_a,
    )
    client = web_client(console.admin_b.user)
    response = client.post(
        f"/console/volunteering/initiatives/{mission.public_id}/review/", {"decision": "approve"}
    )
    assert response.status_code == 404
    mission.refresh_from_db()
    assert mission.status == Mission.Status.PROPOSED


# --- Missions ------------------------------------------------------------------------------


def test_community_officer_creates_a_draft_then_publishes_it(world, console, web_client):
    client = web_client(console.community_a.user)
    response = client.post("/console/volunteering/missions/new/", _mission_form())
    mission = Mission.objects.get(title="Jardin partagé : plantations d'automne")
    assert response.status_code == 302
    assert mission.landlord == world.landlord_a
    assert mission.status == Mission.Status.DRAFT
    assert mission.points == 40
    assert mission.slots.get().capacity == 8
    client.post(
        f"/console/volunteering/missions/{mission.public_id}/publish/",
        {"expected_status": "draft"},
    )
    mission.refresh_from_db()
    assert mission.status == Mission.Status.PUBLISHED


def test_a_slot_in_the_past_is_refused_beside_its_field_and_nothing_typed_is_lost(
    console, web_client
):
    client = web_client(console.admin_a.user)
    past = (in_days(-1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/console/volunteering/missions/new/", _mission_form(starts_at=past))
    html = response.content.decode()
    assert response.status_code == 200
    assert Mission.objects.count() == 0
    assert 'id="id_starts_at_error"' in html
    assert "être à venir" in html
    assert "Jardin des Minimes" in html
    assert 'value="40"' in html


def test_editing_keeps_input_on_a_form_error(world, console, web_client):
    slot = _slot(world)
    client = web_client(console.admin_a.user)
    data = _mission_form(latitude="400")
    response = client.post(f"/console/volunteering/missions/{slot.mission.public_id}/edit/", data)
    assert response.status_code == 200
    assert 'id="id_latitude_error"' in response.content.decode()
    assert "Jardin partagé" in response.content.decode()


def test_cancelling_a_mission_tells_everyone_signed_up(world, console, web_client):
    slot = _slot(world)
    signup = SignupFactory(slot=slot, tenant=world.tenant_a)
    client = web_client(console.community_a.user)
    page = client.get(f"/console/volunteering/missions/{slot.mission.public_id}/cancel/")
    assert page.status_code == 200
    client.post(f"/console/volunteering/missions/{slot.mission.public_id}/cancel/")
    signup.refresh_from_db()
    slot.refresh_from_db()
    assert signup.status == Signup.Status.CANCELLED
    assert slot.status == Slot.Status.CANCELLED
    assert Notification.objects.filter(recipient=world.tenant_a.user).exists()


def test_a_capacity_below_the_places_taken_is_refused_on_the_slot_form(world, console, web_client):
    slot = _slot(world)
    SignupFactory(slot=slot, tenant=world.tenant_a)
    SignupFactory(slot=slot, tenant=world.tenant_a2)
    client = web_client(console.admin_a.user)
    response = client.post(
        f"/console/volunteering/slots/{slot.public_id}/edit/",
        {
            "starts_at": slot.starts_at.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": slot.ends_at.strftime("%Y-%m-%dT%H:%M"),
            "capacity": "1",
        },
    )
    assert response.status_code == 200
    assert "form-errors" in response.content.decode()
    slot.refresh_from_db()
    assert slot.capacity == 10


# --- Sign-ups, waitlist, attendance, check-in ----------------------------------------------


def test_slot_page_lists_sign_ups_and_the_waitlist_in_order(world, console, web_client):
    slot = _slot(world)
    slot.capacity = 1
    slot.save()
    first = TenantFactory(residence=world.residence_a, user__first_name="Amina")
    second = TenantFactory(residence=world.residence_a, user__first_name="Bruno")
    third = TenantFactory(residence=world.residence_a, user__first_name="Chloé")
    for tenant in (first, second, third):
        actions.signup_create(tenant=tenant, slot=slot)
    html = (
        web_client(console.admin_a.user)
        .get(f"/console/volunteering/slots/{slot.public_id}/")
        .content.decode()
    )
    waitlist = html.split('class="vol-waitlist"')[1]
    assert waitlist.index("Bruno") < waitlist.index("Chloé")
    assert "Amina" not in waitlist


def test_attendance_tap_marks_attended_and_awards_the_points(world, console, web_client):
    slot = _slot(world)
    signup = SignupFactory(slot=slot, tenant=world.tenant_a)
    client = web_client(console.community_a.user)
    with time_machine.travel(slot.starts_at + dt.timedelta(minutes=5), tick=False):
        response = client.post(
            f"/console/volunteering/slots/{slot.public_id}/attendance/",
            {"signup": str(signup.public_id), "attended": "1"},
            headers={"HX-Request": "true"},
        )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith("<li")  # only the row, for htmx to swap
    assert 'aria-pressed="true"' in html
    signup.refresh_from_db()
    assert signup.status == Signup.Status.ATTENDED
    assert Account.objects.get(tenant=world.tenant_a).balance == 50
    assert "50 points" in html


def test_attendance_before_the_start_is_refused_on_the_page(world, console, web_client):
    slot = _slot(world)
    signup = SignupFactory(slot=slot, tenant=world.tenant_a)
    response = web_client(console.admin_a.user).post(
        f"/console/volunteering/slots/{slot.public_id}/attendance/",
        {"signup": str(signup.public_id), "attended": "1"},
    )
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    signup.refresh_from_db()
    assert signup.status == Signup.Status.CONFIRMED


def test_attendance_with_a_garbage_id_is_refused_not_a_500(world, console, web_client):
    slot = _slot(world)
    with time_machine.travel(slot.starts_at + dt.timedelta(minutes=5), tick=False):
        response = web_client(console.admin_a.user).post(
            f"/console/volunteering/slots/{slot.public_id}/attendance/",
            {"signup": "not-an-id", "attended": "1"},
        )
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_checkin_page_shows_the_current_code_and_its_qr(world, console, web_client):
    slot = _slot(world)
    with time_machine.travel(slot.starts_at + dt.timedelta(minutes=5), tick=False):
        response = web_client(console.admin_a.user).get(
            f"/console/volunteering/slots/{slot.public_id}/checkin/"
        )
        code = actions.checkin_code_for(actor=console.admin_a.user, slot=slot)["code"]
    html = response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert f"<span>{code}</span>" in html
    assert "<svg" in html


def test_checkin_page_of_a_slot_over_says_so(world, console, web_client):
    slot = _slot(world)
    with time_machine.travel(slot.ends_at + dt.timedelta(minutes=5), tick=False):
        response = web_client(console.admin_a.user).get(
            f"/console/volunteering/slots/{slot.public_id}/checkin/"
        )
    assert response.status_code == 200
    assert "<svg" not in response.content.decode()


def test_waitlisted_filter_lists_only_waiters(world, console, web_client):
    slot = _slot(world)
    SignupFactory(
        slot=slot, tenant=world.tenant_a, status=Signup.Status.WAITLISTED, waitlist_ticket=1
    )
    SignupFactory(slot=slot, tenant=world.tenant_a2)
    html = (
        web_client(console.admin_a.user)
        .get("/console/volunteering/signups/?status=waitlisted")
        .content.decode()
    )
    assert world.tenant_a.user.last_name in html
    assert world.tenant_a2.user.last_name not in html


def test_initiative_approved_is_published_with_its_points(world, console, web_client):
    mission = MissionFactory(
        landlord=world.landlord_a,
        residence=world.residence_a,
        status=Mission.Status.PROPOSED,
        proposed_by=world.tenant_a,
        title="Boîte à livres",
    )
    client = web_client(console.community_a.user)
    assert "Boîte à livres" in client.get("/console/volunteering/initiatives/").content.decode()
    client.post(
        f"/console/volunteering/initiatives/{mission.public_id}/review/",
        {"decision": "approve", "points": "30", "note": "Bravo"},
    )
    mission.refresh_from_db()
    assert mission.status == Mission.Status.PUBLISHED
    assert mission.points == 30


def test_hours_chart_and_table_show_the_months_hours(world, console, web_client):
    slot = _slot(world)
    SignupFactory(slot=slot, tenant=world.tenant_a, status=Signup.Status.ATTENDED)
    with time_machine.travel(slot.ends_at + dt.timedelta(days=1), tick=False):
        html = web_client(console.admin_a.user).get("/console/volunteering/stats/").content.decode()
    assert "<svg" in html
    assert '<td class="number">2.0</td>' in html or '<td class="number">2,0</td>' in html


# --- Query counts ----------------------------------------------------------------------------


def _missions(world, n):
    for _ in range(n):
        SlotFactory(mission=MissionFactory(landlord=world.landlord_a, residence=world.residence_a))


def _signups(world, n):
    slot = _slot(world)
    for _ in range(n):
        SignupFactory(slot=slot, tenant=TenantFactory(residence=world.residence_a))
    return slot


@pytest.mark.parametrize("rows", [1, 30])
def test_mission_list_query_count_does_not_grow_with_rows(
    world, console, web_client, django_assert_num_queries, rows
):
    _missions(world, rows)
    client = web_client(console.admin_a.user)
    client.get("/console/volunteering/missions/")  # warm the session
    with django_assert_num_queries(QUERIES["missions"]):
        assert client.get("/console/volunteering/missions/").status_code == 200


@pytest.mark.parametrize("rows", [1, 30])
def test_signup_list_query_count_does_not_grow_with_rows(
    world, console, web_client, django_assert_num_queries, rows
):
    _signups(world, rows)
    client = web_client(console.admin_a.user)
    client.get("/console/volunteering/signups/")
    with django_assert_num_queries(QUERIES["signups"]):
        assert client.get("/console/volunteering/signups/").status_code == 200


@pytest.mark.parametrize("rows", [1, 30])
def test_attendance_sheet_query_count_does_not_grow_with_rows(
    world, console, web_client, django_assert_num_queries, rows
):
    slot = _signups(world, rows)
    client = web_client(console.admin_a.user)
    url = f"/console/volunteering/slots/{slot.public_id}/attendance/"
    client.get(url)
    with django_assert_num_queries(QUERIES["attendance"]):
        assert client.get(url).status_code == 200


# Session and user, the COUNT, one page of rows (+ the missions' slots prefetched).
QUERIES = {"missions": 6, "signups": 5, "attendance": 5}
