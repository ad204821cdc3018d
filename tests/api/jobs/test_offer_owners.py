"""Issue 10 §2: only an offer's owners (the employer, the landlord whose staff created it)
edit or close it; another targeted landlord may only take itself off the targets."""

import pytest

from services.jobs.models import Match, Offer
from tests.conftest import client_for
from tests.factories import EmployerMemberFactory, StaffFactory
from tests.factories.jobs import JobProfileFactory, MatchFactory, OfferFactory

pytestmark = pytest.mark.django_db


def _url(offer, what=""):
    return f"/api/v1/jobs/offers/{offer.public_id}/{what + '/' if what else ''}"


@pytest.fixture
def shared_offer(world):
    """An offer the employer posted for A and B, with an open match on each side."""
    world.employer_a.landlords.add(world.landlord_b)
    offer = OfferFactory(employer=world.employer_a, targets=[world.landlord_a, world.landlord_b])
    match_a = MatchFactory(tenant=world.tenant_a, offer=offer, state=Match.State.PROPOSED)
    match_b = MatchFactory(tenant=world.tenant_b, offer=offer, state=Match.State.INTERESTED)
    return offer, match_a, match_b


def test_a_targeted_landlord_that_does_not_own_the_offer_cannot_edit_or_close_it(
    world, shared_offer
):
    offer, _match_a, match_b = shared_offer
    advisor_a = StaffFactory(landlord=world.landlord_a, role="job_advisor")
    for body in ({"status": "closed"}, {"title": "Autre", "salary_min_cents": 1}):
        response = client_for(advisor_a.user).patch(_url(offer), body, format="json")
        assert response.status_code == 403
        assert response.json()["code"] == "offer_not_owner"
        assert set(response.json()) == {"code", "message", "fields"}
    offer.refresh_from_db()
    match_b.refresh_from_db()
    assert (offer.status, offer.title, offer.salary_min_cents) == ("published", offer.title, None)
    assert match_b.state == "interested"  # B's tenant's match untouched


def test_the_owner_landlords_staff_edit_and_close_their_offer(world):
    world.employer_a.landlords.add(world.landlord_b)
    created = client_for(world.staff_a.user).post(
        "/api/v1/jobs/offers/",
        {
            "employer": str(world.employer_a.public_id),
            "title": "Agent d'entretien",
            "rome_code": "K2204",
            "contract_type": "cdi",
            "status": "published",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    offer = Offer.objects.get(public_id=created.json()["id"])
    assert offer.owner_landlord == world.landlord_a
    # The employer (co-owner) adds landlord B: B may see it, not change it.
    added = client_for(world.employer_member.user).patch(
        _url(offer), {"target_landlords": [str(world.landlord_b.public_id)]}, format="json"
    )
    # The member was granted A only: B is not a landlord it may target.
    assert (added.status_code, added.json()["code"]) == (400, "landlord_not_partner")
    offer.target_landlords.add(world.landlord_b)
    refused = client_for(world.staff_b.user).patch(_url(offer), {"title": "X"}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "offer_not_owner")
    closed = client_for(world.staff_a.user).patch(_url(offer), {"status": "closed"}, format="json")
    assert (closed.status_code, closed.json()["status"]) == (200, "closed")


def test_the_employer_still_edits_and_closes_its_offer(world, shared_offer):
    """Through a member that every landlord the offer targets granted access."""
    offer, _match_a, _match_b = shared_offer
    both = EmployerMemberFactory(
        employer=world.employer_a, grants=[world.landlord_a, world.landlord_b]
    )
    response = client_for(both.user).patch(_url(offer), {"status": "closed"}, format="json")
    assert response.status_code == 200, response.json()
    assert set(Match.objects.filter(offer=offer).values_list("state", flat=True)) == {"obsolete"}


def test_a_member_that_one_targeted_landlord_did_not_grant_cannot_change_the_offer(
    world, shared_offer
):
    """world.employer_member was granted landlord A only: closing or editing the offer would
    end B's tenants' matches through a member B never granted (issue 10 §1–2)."""
    offer, _match_a, match_b = shared_offer
    member = client_for(world.employer_member.user)
    assert member.get(_url(offer)).status_code == 200  # it still sees the offer
    for body in ({"status": "closed"}, {"title": "Autre"}, {"target_landlords": []}):
        response = member.patch(_url(offer), body, format="json")
        assert (response.status_code, response.json()["code"]) == (403, "offer_beyond_access")
    offer.refresh_from_db()
    match_b.refresh_from_db()
    assert (offer.status, offer.title) == ("published", "Agent d'entretien")
    assert match_b.state == "interested"
    assert set(offer.target_landlords.all()) == {world.landlord_a, world.landlord_b}


def test_a_targeted_landlord_takes_itself_off_the_offer(world, shared_offer):
    offer, match_a, match_b = shared_offer
    JobProfileFactory(tenant=world.tenant_b)
    assert client_for(world.tenant_b.user).get(_url(offer)).status_code == 200
    response = client_for(world.staff_b.user).post(_url(offer, "untarget"))
    assert response.status_code == 204
    assert list(offer.target_landlords.all()) == [world.landlord_a]
    match_a.refresh_from_db()
    match_b.refresh_from_db()
    assert (match_a.state, match_b.state) == ("proposed", "obsolete")
    assert match_b.transitions.last().note == "landlord left the offer"
    offer.refresh_from_db()
    assert offer.status == "published"
    # B's tenants and staff no longer see it; A's side and the employer still do.
    assert client_for(world.tenant_b.user).get(_url(offer)).status_code == 404
    feed = client_for(world.tenant_b.user).get("/api/v1/jobs/offers/").json()["results"]
    assert feed == []
    assert client_for(world.staff_b.user).get(_url(offer)).status_code == 404
    assert client_for(world.staff_b.user).post(_url(offer, "untarget")).status_code == 404
    assert client_for(world.tenant_a.user).get(_url(offer)).status_code == 200
    assert client_for(world.employer_member.user).get(_url(offer)).status_code == 200


def test_untarget_is_for_job_staff_of_a_targeted_landlord(world, shared_offer):
    offer, _match_a, _match_b = shared_offer
    employer = client_for(world.employer_member.user).post(_url(offer, "untarget"))
    assert (employer.status_code, employer.json()["code"]) == (403, "permission_denied")
    community = StaffFactory(landlord=world.landlord_b, role="community")
    refused = client_for(community.user).post(_url(offer, "untarget"))
    assert refused.status_code == 404  # community officers do not handle job offers
    tenant = client_for(world.tenant_a.user).post(_url(offer, "untarget"))
    assert tenant.status_code == 403
    assert set(offer.target_landlords.all()) == {world.landlord_a, world.landlord_b}


def test_the_owner_landlord_still_sees_an_offer_it_left(world):
    offer = OfferFactory(employer=world.employer_a, owner_landlord=world.landlord_a)
    client = client_for(world.staff_a.user)
    assert client.post(_url(offer, "untarget")).status_code == 204
    assert offer.target_landlords.count() == 0
    assert client.get(_url(offer)).status_code == 200
    retargeted = client.patch(
        _url(offer), {"target_landlords": [str(world.landlord_a.public_id)]}, format="json"
    )
    assert retargeted.json()["target_landlords"] == [str(world.landlord_a.public_id)]


def test_the_tenants_withdrawal_reason_is_never_shown_to_the_employer(world):
    offer = OfferFactory(employer=world.employer_a)
    JobProfileFactory(tenant=world.tenant_a)  # agreed to be introduced: identity revealed
    match = MatchFactory(tenant=world.tenant_a, offer=offer, state=Match.State.PROPOSED)
    withdrawn = client_for(world.tenant_a.user).post(
        f"/api/v1/jobs/matches/{match.public_id}/transition/",
        {"to": "withdrawn", "reason": "Mon conjoint travaille déjà chez eux"},
        format="json",
    )
    assert withdrawn.json()["withdraw_reason"] == "Mon conjoint travaille déjà chez eux"
    url = f"/api/v1/jobs/matches/{match.public_id}/"
    employer = client_for(world.employer_member.user)
    detail = employer.get(url).json()
    assert detail["candidate"]["revealed"] is True
    assert detail["withdraw_reason"] is None
    [listed] = employer.get("/api/v1/jobs/matches/").json()["results"]
    assert listed["withdraw_reason"] is None
    assert "conjoint" not in employer.get(url).content.decode()
    # Once the tenant hides its identity again (an anonymised card), still nothing.
    client_for(world.tenant_a.user).post(
        "/api/v1/jobs/profile/consents/",
        {"purpose": "introduction", "granted": False},
        format="json",
    )
    hidden = employer.get(url).json()
    assert (hidden["candidate"]["revealed"], hidden["withdraw_reason"]) == (False, None)
    staff = client_for(world.staff_a.user).get(url).json()
    assert staff["withdraw_reason"] == "Mon conjoint travaille déjà chez eux"
