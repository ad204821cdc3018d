"""Households through the API: the holder invites (a code by hand or an e-mail), an adult
joins with their own account, and the holder never sees the member's job search, points or
inbox; the holder lists and removes members; staff see the composition, not the job data."""

import datetime
import re

import pytest
import time_machine
from django.core import mail

from services.accounts.models import HouseholdInvitation, Tenant
from services.privacy.actions import tenant_erase
from tests.conftest import client_for
from tests.factories.accounts import StaffFactory
from tests.factories.jobs import JobProfileFactory, MatchFactory

pytestmark = pytest.mark.django_db

JOIN = "/api/v1/auth/household/join/"
INVITATIONS = "/api/v1/me/household/invitations/"
HOUSEHOLD = "/api/v1/me/household/"
ADDRESS = "198.51.100.20"


def _join(api_client, code, email="jeune@example.org", **extra):
    body = {
        "invitation_code": code,
        "email": email,
        "password": "Un-Mot-De-Passe-Solide-42",
        "first_name": "Yanis",
        "last_name": "Martin",
        "confirm_adult": True,
        **extra,
    }
    return api_client.post(JOIN, body, format="json", REMOTE_ADDR=ADDRESS)


def _invite(holder, **body):
    return client_for(holder.user).post(INVITATIONS, body, format="json")


def _member_of(holder, api_client, email="jeune@example.org"):
    code = _invite(holder).json()["code"]
    response = _join(api_client, code, email=email)
    assert response.status_code == 201, response.content
    return Tenant.objects.get(user__email=email)


def test_invite_by_hand_then_join_makes_a_member_with_their_own_account(world, api_client):
    holder = world.tenant_a
    invited = _invite(holder)
    assert invited.status_code == 201, invited.content
    code = invited.json()["code"]
    assert re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}", code)

    joined = _join(api_client, code)
    assert joined.status_code == 201
    member = Tenant.objects.get(user__email="jeune@example.org")
    assert member.tenancy_id == holder.tenancy_id and member.landlord_id == holder.landlord_id
    assert not member.is_holder and holder.is_holder

    me = api_client.get(
        "/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {joined.json()['access']}"
    ).json()
    assert (me["first_name"], me["role"]) == ("Yanis", "tenant")
    assert me["residence"]["id"] == str(holder.tenancy.residence.public_id)

    listed = client_for(holder.user).get(HOUSEHOLD).json()
    assert listed["is_holder"] is True
    assert [(m["first_name"], m["is_holder"], m["is_you"]) for m in listed["members"]] == [
        (holder.user.first_name, True, True),
        ("Yanis", False, False),
    ]
    assert listed["members"][1]["since"]
    # The member sees the same household, without managing it.
    seen = client_for(member.user).get(HOUSEHOLD).json()
    assert seen["is_holder"] is False and len(seen["members"]) == 2
    assert client_for(member.user).get(INVITATIONS).json()["code"] == "not_household_holder"


def test_the_code_works_once(world, api_client):
    code = _invite(world.tenant_a).json()["code"]
    assert _join(api_client, code).status_code == 201
    again = _join(api_client, code, email="autre@example.org")
    assert (again.status_code, again.json()["code"]) == (400, "invalid_invitation_code")


def test_the_code_expires_after_its_days(world, api_client):
    start = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        code = _invite(world.tenant_a).json()["code"]
    with time_machine.travel(start + datetime.timedelta(days=7, seconds=-1), tick=False):
        assert _join(api_client, code).status_code == 201
    with time_machine.travel(start, tick=False):
        late = _invite(world.tenant_a).json()["code"]
    with time_machine.travel(start + datetime.timedelta(days=7), tick=False):
        assert _join(api_client, late, email="tard@example.org").json()["code"] == (
            "invalid_invitation_code"
        )


def test_a_cancelled_invitation_cannot_be_used(world, api_client):
    invited = _invite(world.tenant_a).json()
    client = client_for(world.tenant_a.user)
    assert client.delete(f"{INVITATIONS}{invited['id']}/").status_code == 204
    assert client.get(INVITATIONS).json() == []
    assert _join(api_client, invited["code"]).json()["code"] == "invalid_invitation_code"
    again = client.delete(f"{INVITATIONS}{invited['id']}/")
    assert (again.status_code, again.json()["code"]) == (409, "invitation_closed")


def test_another_holder_cannot_cancel_my_invitation(world):
    invited = _invite(world.tenant_a).json()
    other = client_for(world.tenant_a2.user).delete(f"{INVITATIONS}{invited['id']}/")
    assert other.status_code == 404
    assert HouseholdInvitation.objects.get(public_id=invited["id"]).cancelled_at is None


def test_joining_needs_an_adult(world, api_client):
    code = _invite(world.tenant_a).json()["code"]
    refused = _join(api_client, code, confirm_adult=False)
    assert (refused.status_code, refused.json()["code"]) == (400, "adult_required")
    assert "confirm_adult" in refused.json()["fields"]
    assert _join(api_client, code).status_code == 201  # the code was not spent


def test_an_invitation_by_email_sends_the_code_to_that_address_only(
    world, api_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invited = _invite(world.tenant_a, email=" Jeune@Example.org ")
    assert invited.status_code == 201
    body = invited.json()
    assert body["code"] is None and body["email"] == "jeune@example.org"
    message = mail.outbox[-1]
    assert message.to == ["jeune@example.org"]
    code = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", message.body).group(0)
    assert _join(api_client, code).status_code == 201
    # Never in the holder's inbox (it holds the code).
    inbox = client_for(world.tenant_a.user).get("/api/v1/notifications/").json()
    assert all("household" not in str(row) for row in inbox.get("results", inbox))


def test_a_bad_address_is_a_400_beside_the_field(world):
    refused = _invite(world.tenant_a, email="pas-une-adresse")
    assert (refused.status_code, refused.json()["code"]) == (400, "invalid_email")
    assert "email" in refused.json()["fields"]


def test_wrong_codes_are_limited_per_client(world, api_client, settings):
    settings.ACTIVATION_MAX_ATTEMPTS_PER_HOUR = 3
    answers = [_join(api_client, f"AAAA-BBBB-CCCC-{i:04d}").status_code for i in range(4)]
    assert answers == [400, 400, 400, 429]
    code = _invite(world.tenant_a).json()["code"]
    assert _join(api_client, code).status_code == 429  # locked for this client, right code too


def test_invitations_are_limited_per_day_and_by_household_size(world, settings):
    settings.HOUSEHOLD_MAX_MEMBERS = 3
    settings.HOUSEHOLD_INVITATIONS_PER_DAY = 4
    assert _invite(world.tenant_a).status_code == 201
    assert _invite(world.tenant_a).status_code == 201
    full = _invite(world.tenant_a)  # the holder and two waiting invitations
    assert (full.status_code, full.json()["code"]) == (409, "household_full")
    client = client_for(world.tenant_a.user)
    for row in client.get(INVITATIONS).json():
        client.delete(f"{INVITATIONS}{row['id']}/")
    assert _invite(world.tenant_a).status_code == 201
    throttled = _invite(world.tenant_a)
    assert (throttled.status_code, throttled.json()["code"]) == (429, "throttled")
    assert throttled.json()["retry_after"] > 0


def test_only_the_holder_invites_and_removes(world, api_client):
    member = _member_of(world.tenant_a, api_client)
    refused = _invite(member)
    assert (refused.status_code, refused.json()["code"]) == (403, "not_household_holder")
    removal = client_for(member.user).delete(f"{HOUSEHOLD}members/{world.tenant_a.public_id}/")
    assert (removal.status_code, removal.json()["code"]) == (403, "not_household_holder")


def test_the_holder_cannot_be_removed_nor_someone_of_another_household(world, api_client):
    client = client_for(world.tenant_a.user)
    own = client.delete(f"{HOUSEHOLD}members/{world.tenant_a.public_id}/")
    assert (own.status_code, own.json()["code"]) == (409, "cannot_remove_holder")
    other = client.delete(f"{HOUSEHOLD}members/{world.tenant_a2.public_id}/")
    assert other.status_code == 404
    assert Tenant.objects.get(pk=world.tenant_a2.pk).left_at is None


def test_a_removed_member_is_read_only_at_once(world, api_client):
    member = _member_of(world.tenant_a, api_client)
    holder = client_for(world.tenant_a.user)
    assert holder.delete(f"{HOUSEHOLD}members/{member.public_id}/").status_code == 204
    assert [m["is_holder"] for m in holder.get(HOUSEHOLD).json()["members"]] == [True]
    again = holder.delete(f"{HOUSEHOLD}members/{member.public_id}/")
    assert again.status_code == 404

    as_member = client_for(member.user)
    assert as_member.get("/api/v1/me/").status_code == 200  # reads stay
    standing = as_member.get("/api/v1/me/tenancy/").json()["standing"]
    assert standing["state"] == "ended"
    profile = as_member.put("/api/v1/jobs/profile/", {"search_status": "active"}, format="json")
    assert (profile.status_code, profile.json()["code"]) == (403, "tenancy_ended")
    # The holder is untouched.
    assert (
        client_for(world.tenant_a.user).get("/api/v1/me/tenancy/").json()["standing"]["state"]
        == "active"
    )


def test_erasing_the_holder_hands_the_household_to_the_first_member_left(world, api_client):
    first = _member_of(world.tenant_a, api_client, email="premier@example.org")
    second = _member_of(world.tenant_a, api_client, email="second@example.org")
    staff = StaffFactory(landlord=world.landlord_a)
    tenant_erase(actor=staff.user, tenant=world.tenant_a, request_reference="courrier")

    holders = Tenant.objects.filter(tenancy_id=world.tenant_a.tenancy_id, is_holder=True)
    assert list(holders) == [first]
    # The new holder invites and removes; the other member still cannot.
    assert _invite(first).status_code == 201
    assert _invite(second).json()["code"] == "not_household_holder"
    members = client_for(first.user).get(HOUSEHOLD).json()["members"]
    assert [m["is_holder"] for m in members] == [True, False]


def test_erasing_a_holder_left_alone_hands_nothing_over(world):
    staff = StaffFactory(landlord=world.landlord_a)
    tenant_erase(actor=staff.user, tenant=world.tenant_a, request_reference="courrier")
    assert not Tenant.objects.filter(tenancy_id=world.tenant_a.tenancy_id, is_holder=True)
    # Another household (same landlord, another tenancy) keeps its own holder.
    assert Tenant.objects.get(pk=world.tenant_a2.pk).is_holder


# --- Each member's job search is theirs alone ------------------------------------------------


def test_the_holder_never_sees_a_members_job_search(world, api_client):
    member = _member_of(world.tenant_a, api_client)
    JobProfileFactory(tenant=member, skills=["Permis B"])
    match = MatchFactory(tenant=member)
    holder = client_for(world.tenant_a.user)

    own_profile = holder.get("/api/v1/jobs/profile/")
    assert own_profile.status_code in (200, 404)
    assert "Permis B" not in own_profile.content.decode()
    listed = holder.get("/api/v1/jobs/matches/")
    assert listed.status_code == 200
    assert str(match.public_id) not in listed.content.decode()
    assert holder.get(f"/api/v1/jobs/matches/{match.public_id}/").status_code == 404
    assert holder.post(
        f"/api/v1/jobs/matches/{match.public_id}/transition/",
        {"to": "withdrawn", "withdraw_reason": "x"},
        format="json",
    ).status_code in (404, 405)
    # ...while the member sees their own.
    as_member = client_for(member.user)
    assert as_member.get(f"/api/v1/jobs/matches/{match.public_id}/").status_code == 200
    assert "Permis B" in as_member.get("/api/v1/jobs/profile/").content.decode()
    # Nor the other way round.
    holder_match = MatchFactory(tenant=world.tenant_a)
    assert as_member.get(f"/api/v1/jobs/matches/{holder_match.public_id}/").status_code == 404


def test_points_and_inbox_are_per_person(world, api_client):
    from notifications.services import notify

    member = _member_of(world.tenant_a, api_client)
    from services.loyalty.actions import points_grant

    points_grant(
        actor=StaffFactory(landlord=world.landlord_a).user, tenant=member, points=40, reason="aide"
    )
    notify(recipients=[member.user], kind="account.password_changed")
    holder = client_for(world.tenant_a.user)
    as_member = client_for(member.user)
    assert as_member.get("/api/v1/loyalty/account/").json()["balance"] == 40
    assert holder.get("/api/v1/loyalty/account/").json()["balance"] != 40
    member_inbox = as_member.get("/api/v1/notifications/").json()
    holder_inbox = holder.get("/api/v1/notifications/").json()
    assert {row["kind"] for row in member_inbox["results"]} == {
        "account.password_changed",
        "loyalty.points_granted",
    }
    assert holder_inbox["results"] == []


# --- Staff see the composition, not the job data ------------------------------------------


def test_staff_see_the_household_on_the_tenancy(world, api_client):
    member = _member_of(world.tenant_a, api_client)
    JobProfileFactory(tenant=member, skills=["Permis B"])
    detail = client_for(world.staff_a.user).get(
        f"/api/v1/tenancies/{world.tenant_a.tenancy.public_id}/"
    )
    assert detail.status_code == 200
    household = detail.json()["household"]
    assert [(m["first_name"], m["is_holder"]) for m in household] == [
        (world.tenant_a.user.first_name, True),
        ("Yanis", False),
    ]
    assert "Permis B" not in detail.content.decode()
    hidden = client_for(world.staff_b.user).get(
        f"/api/v1/tenancies/{world.tenant_a.tenancy.public_id}/"
    )
    assert hidden.status_code == 404


def test_a_job_advisor_does_not_see_tenancies_nor_households(world, api_client):
    _member_of(world.tenant_a, api_client)
    advisor = StaffFactory(landlord=world.landlord_a, role="job_advisor")
    # Tenancies (and so households) are customer data: admins and community officers only.
    url = f"/api/v1/tenancies/{world.tenant_a.tenancy.public_id}/"
    assert client_for(advisor.user).get(url).status_code == 403
