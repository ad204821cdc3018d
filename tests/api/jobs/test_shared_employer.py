"""Issue 10 §1: a company partnered with two landlords does not let one reach the other's
tenants. A member reaches a landlord's candidates and matches only through the partnership
that landlord granted it (its staff invited or approved the member)."""

import importlib

import pytest
from django.apps import apps

from notifications.models import Notification
from services.accounts.models import EmployerInvitation, PartnerAccess, User
from services.core import clock
from services.jobs.models import Match, Offer
from tests.conftest import client_for
from tests.factories import EmployerMemberFactory, StaffFactory, TenantFactory
from tests.factories.accounts import PASSWORD
from tests.factories.jobs import JobProfileFactory, MatchFactory, OfferFactory

pytestmark = pytest.mark.django_db


def _invite(staff_user, employer, email: str) -> User:
    """Staff of a landlord invite someone into the company, who accepts: the API's path."""
    issued = client_for(staff_user).post(f"/api/v1/employers/{employer.public_id}/invitations/")
    assert issued.status_code == 201, issued.json()
    accepted = client_for(None).post(
        "/api/v1/auth/employer-invitations/accept/",
        {
            "invitation_code": issued.json()["invitation_code"],
            "email": email,
            "password": PASSWORD,
            "name": "Sam Espion",
        },
        format="json",
    )
    assert accepted.status_code == 201, accepted.json()
    return User.objects.get(email=email)


@pytest.fixture
def shared(world):
    """employer_a is partnered with A and B. B's staff created a B-only offer; B's tenant is
    proposed on it and agreed to be introduced (identity revealed to B's side)."""
    world.employer_a.landlords.add(world.landlord_b)
    b_staff = client_for(world.staff_b.user)
    created = b_staff.post(
        "/api/v1/jobs/offers/",
        {
            "employer": str(world.employer_a.public_id),
            "title": "Agent d'entretien",
            "rome_code": "K2204",
            "contract_type": "cdi",
            "latitude": 46.155,
            "longitude": -1.16,
            "status": "published",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    offer = Offer.objects.get(public_id=created.json()["id"])
    assert list(offer.target_landlords.all()) == [world.landlord_b]
    for tenant in [world.tenant_b, *(TenantFactory(residence=world.residence_b) for _ in range(3))]:
        JobProfileFactory(tenant=tenant, latitude=46.156, longitude=-1.161)
    match = MatchFactory(tenant=world.tenant_b, offer=offer, state=Match.State.PROPOSED)
    return offer, match


def test_a_member_landlord_a_invited_gets_404_on_landlord_bs_match_and_candidates(world, shared):
    offer, match = shared
    spy = client_for(_invite(world.staff_a.user, world.employer_a, "spy@example.org"))
    match_url = f"/api/v1/jobs/matches/{match.public_id}/"
    offer_url = f"/api/v1/jobs/offers/{offer.public_id}/"
    refused = {
        ("get", match_url): None,
        ("get", match_url + "cv/"): None,
        ("post", match_url + "answer/"): {"decision": "interested"},
        ("post", match_url + "transition/"): {"to": "employer_interested"},
        ("get", offer_url): None,
        ("patch", offer_url): {"status": "closed"},
        ("get", offer_url + "candidates/"): None,
    }
    for (method, url), body in refused.items():
        response = getattr(spy, method)(url, body or {}, format="json")
        assert response.status_code == 404, (method, url, response.content)
        assert set(response.json()) == {"code", "message", "fields"}
    listed = spy.get("/api/v1/jobs/matches/").json()["results"]
    assert listed == []
    assert spy.get("/api/v1/jobs/offers/").json()["results"] == []
    match.refresh_from_db()
    offer.refresh_from_db()
    assert (match.state, offer.status) == ("proposed", "published")


def test_the_landlord_that_approves_the_member_opens_its_own_tenants_only(world, shared):
    offer, match = shared
    spy_user = _invite(world.staff_a.user, world.employer_a, "spy@example.org")
    member = spy_user.employer_member
    b_staff = client_for(world.staff_b.user)
    members_url = f"/api/v1/employers/{world.employer_a.public_id}/members/"
    listed = {m["email"]: m["has_access"] for m in b_staff.get(members_url).json()}
    assert listed["spy@example.org"] is False
    access_url = f"{members_url}{member.public_id}/access/"
    assert b_staff.post(access_url).status_code == 204
    assert {m["email"]: m["has_access"] for m in b_staff.get(members_url).json()}[
        "spy@example.org"
    ] is True
    spy = client_for(spy_user)
    seen = spy.get(f"/api/v1/jobs/matches/{match.public_id}/")
    assert seen.status_code == 200
    assert seen.json()["candidate"]["email"] == world.tenant_b.user.email
    assert len(spy.get(f"/api/v1/jobs/offers/{offer.public_id}/candidates/").json()["results"]) == 4
    # Landlord B withdraws its access: gone at once; landlord A's grant is untouched.
    assert b_staff.delete(access_url).status_code == 204
    assert spy.get(f"/api/v1/jobs/matches/{match.public_id}/").status_code == 404
    assert list(PartnerAccess.objects.filter(member=member).values_list("landlord", flat=True)) == [
        world.landlord_a.pk
    ]


def test_an_invitation_grants_only_the_inviting_landlords_partnership(world):
    world.employer_a.landlords.add(world.landlord_b)
    user = _invite(world.staff_b.user, world.employer_a, "rh@example.org")
    access = PartnerAccess.objects.get(member=user.employer_member)
    assert access.landlord == world.landlord_b
    assert access.granted_by == world.staff_b.user
    assert access.invitation == EmployerInvitation.objects.get()


def test_a_shared_offer_shows_each_member_only_its_granted_landlords_candidates(world):
    world.employer_a.landlords.add(world.landlord_b)
    offer = OfferFactory(employer=world.employer_a, targets=[world.landlord_a, world.landlord_b])
    JobProfileFactory(tenant=world.tenant_a)
    JobProfileFactory(tenant=world.tenant_b, latitude=46.156, longitude=-1.161)
    match_a = MatchFactory(tenant=world.tenant_a, offer=offer, state=Match.State.PROPOSED)
    match_b = MatchFactory(tenant=world.tenant_b, offer=offer, state=Match.State.PROPOSED)
    only_a = client_for(world.employer_member.user)  # created when A was the only partner
    only_b = client_for(
        EmployerMemberFactory(employer=world.employer_a, grants=[world.landlord_b]).user
    )
    both = client_for(EmployerMemberFactory(employer=world.employer_a).user)
    url = f"/api/v1/jobs/offers/{offer.public_id}/candidates/"

    def seen(client):
        cards = client.get(url).json()["results"]
        matches = client.get("/api/v1/jobs/matches/").json()["results"]
        return len(cards), {m["id"] for m in matches}

    assert seen(only_a) == (1, {str(match_a.public_id)})
    assert seen(only_b) == (1, {str(match_b.public_id)})
    assert seen(both) == (2, {str(match_a.public_id), str(match_b.public_id)})


def test_a_proposal_notifies_only_the_members_that_landlord_granted(world):
    world.employer_a.landlords.add(world.landlord_b)
    offer = OfferFactory(employer=world.employer_a, targets=[world.landlord_a, world.landlord_b])
    JobProfileFactory(tenant=world.tenant_b, latitude=46.156, longitude=-1.161)
    match = MatchFactory(tenant=world.tenant_b, offer=offer, state=Match.State.INTERESTED)
    granted_b = EmployerMemberFactory(employer=world.employer_a, grants=[world.landlord_b])
    response = client_for(world.staff_b.user).post(
        f"/api/v1/jobs/matches/{match.public_id}/propose/", {}, format="json"
    )
    assert response.status_code == 200, response.json()
    told = set(
        Notification.objects.filter(kind="jobs.match_proposed").values_list("recipient", flat=True)
    )
    assert told == {granted_b.user_id}  # not world.employer_member (landlord A's only)


def test_an_ended_partnership_closes_a_granted_members_access(world):
    world.employer_a.landlords.add(world.landlord_b)
    offer = OfferFactory(employer=world.employer_a, targets=[world.landlord_b])
    JobProfileFactory(tenant=world.tenant_b)
    match = MatchFactory(tenant=world.tenant_b, offer=offer, state=Match.State.PROPOSED)
    member = client_for(
        EmployerMemberFactory(employer=world.employer_a, grants=[world.landlord_b]).user
    )
    assert member.get(f"/api/v1/jobs/matches/{match.public_id}/").status_code == 200
    world.employer_a.landlords.remove(world.landlord_b)
    assert member.get(f"/api/v1/jobs/matches/{match.public_id}/").status_code == 404


def test_approving_members_is_for_a_partner_landlords_employer_managers(world):
    other = StaffFactory(role="community", landlord=world.landlord_a)
    url = (
        f"/api/v1/employers/{world.employer_a.public_id}/members/"
        f"{world.employer_member.public_id}/access/"
    )
    refused = client_for(other.user).post(url)
    assert (refused.status_code, refused.json()["code"]) == (404, "not_found")
    assert client_for(world.staff_b.user).post(url).status_code == 404  # not B's partner
    assert client_for(world.employer_member.user).post(url).status_code == 403
    assert PartnerAccess.objects.filter(member=world.employer_member).count() == 1


def test_the_migration_keeps_what_each_inviting_landlord_granted(world):
    """Existing members keep their inviting landlord's partnership; one created without an
    invitation keeps its company's only partner, and nothing when there are several."""
    migration = importlib.import_module("services.accounts.migrations.0003_partner_access")
    world.employer_a.landlords.add(world.landlord_b)
    invited = EmployerMemberFactory(employer=world.employer_a)
    EmployerInvitation.objects.create(
        employer=world.employer_a,
        landlord=world.landlord_b,
        created_by=world.staff_b.user,
        code_hash="x" * 64,
        expires_at=clock.now(),
        accepted_at=clock.now(),
        accepted_by=invited.user,
    )
    alone = EmployerMemberFactory()  # its company has one partner
    alone.employer.landlords.add(world.landlord_a)
    PartnerAccess.objects.all().delete()
    migration.grant_existing_members(apps, None)
    granted = set(PartnerAccess.objects.values_list("member", "landlord"))
    assert granted == {(invited.pk, world.landlord_b.pk), (alone.pk, world.landlord_a.pk)}
    # world.employer_member: no invitation, two partners now -> nothing until one approves.


def test_the_migration_gives_staff_created_offers_to_their_landlord(world):
    migration = importlib.import_module("services.jobs.migrations.0003_offer_owner_landlord")
    by_staff = OfferFactory(employer=world.employer_a, created_by=world.staff_a.user)
    by_member = OfferFactory(employer=world.employer_a, created_by=world.employer_member.user)
    migration.owners_from_creators(apps, None)
    by_staff.refresh_from_db()
    by_member.refresh_from_db()
    assert (by_staff.owner_landlord, by_member.owner_landlord) == (world.landlord_a, None)
