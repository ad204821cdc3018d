import datetime

import pytest

from services.core.errors import DomainError
from services.jobs import actions
from services.jobs.models import Match, Offer
from tests.conftest import client_for
from tests.factories import StaffFactory
from tests.factories.jobs import JobProfileFactory, MatchFactory, OfferFactory

pytestmark = pytest.mark.django_db


def test_a_suggestion_is_answered_by_the_tenant(world):
    profile = JobProfileFactory(tenant=world.tenant_a)
    offer = OfferFactory(employer=world.employer_a)
    match = actions.match_suggest(
        user=world.staff_a.user, offer=offer, profile_id=profile.public_id
    )
    client = client_for(world.tenant_a.user)
    url = f"/api/v1/jobs/matches/{match.public_id}/"
    assert client.get(url).json()["allowed_transitions"] == [
        "interested",
        "not_interested",
        "withdrawn",
    ]
    r = client.post(url + "transition/", {"to": "not_interested"}, format="json")
    assert r.json()["state"] == "not_interested"
    r = client.post(f"/api/v1/jobs/offers/{offer.public_id}/interest/", {}, format="json")
    assert (r.status_code, r.json()["state"]) == (200, "interested")
    assert Match.objects.count() == 1


def test_interest_is_idempotent_with_a_key(world):
    JobProfileFactory(tenant=world.tenant_a)
    offer = OfferFactory(employer=world.employer_a)
    client = client_for(world.tenant_a.user)
    url = f"/api/v1/jobs/offers/{offer.public_id}/interest/"
    first = client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == again.json()["id"]
    assert Match.objects.count() == 1


def test_a_draft_offer_is_invisible_to_tenants_and_a_paused_one_refuses_interest(world):
    JobProfileFactory(tenant=world.tenant_a)
    draft = OfferFactory(employer=world.employer_a, status=Offer.Status.DRAFT)
    client = client_for(world.tenant_a.user)
    r = client.post(f"/api/v1/jobs/offers/{draft.public_id}/interest/", {}, format="json")
    assert r.status_code == 404
    paused = OfferFactory(employer=world.employer_a, status=Offer.Status.PAUSED)
    with pytest.raises(DomainError) as refused:
        actions.match_express_interest(user=world.tenant_a.user, offer=paused)
    assert refused.value.code == "offer_not_open"
    assert not Match.objects.exists()


def test_community_staff_do_not_handle_jobs(world):
    community = StaffFactory(landlord=world.landlord_a, role="community")
    offer = OfferFactory(employer=world.employer_a)
    client = client_for(community.user)
    assert client.get(f"/api/v1/jobs/offers/{offer.public_id}/").status_code == 404
    assert client.get("/api/v1/jobs/matches/").json()["results"] == []


def test_matches_sync_with_updated_since(world):
    JobProfileFactory(tenant=world.tenant_a)
    MatchFactory(tenant=world.tenant_a, offer=OfferFactory(employer=world.employer_a))
    client = client_for(world.tenant_a.user)
    now = datetime.datetime.now(datetime.UTC)
    yesterday = (now - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (
        len(client.get(f"/api/v1/jobs/matches/?updated_since={yesterday}").json()["results"]) == 1
    )
    # Beyond the sync horizon (90 days): sync again from scratch (docs/sync.md).
    old = client.get("/api/v1/jobs/matches/?updated_since=2000-01-01T00:00:00Z")
    assert (old.status_code, old.json()["code"]) == (410, "sync_expired")
    # Ahead of the server's clock (a phone's wrong clock): refused, not an empty answer.
    tomorrow = (now + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ahead = client.get(f"/api/v1/jobs/matches/?updated_since={tomorrow}")
    assert (ahead.status_code, ahead.json()["code"]) == (400, "invalid_updated_since")
    bad = client.get("/api/v1/jobs/matches/?updated_since=yesterday")
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_updated_since")


def test_staff_retarget_an_offer_only_to_their_landlord(world):
    world.employer_a.landlords.add(world.landlord_b)
    offer = OfferFactory(
        employer=world.employer_a, owner_landlord=world.landlord_a, targets=[world.landlord_a]
    )
    r = client_for(world.staff_a.user).patch(
        f"/api/v1/jobs/offers/{offer.public_id}/",
        {"target_landlords": [str(world.landlord_b.public_id)]},
        format="json",
    )
    assert (r.status_code, r.json()["code"]) == (400, "landlord_not_partner")
    assert list(offer.target_landlords.all()) == [world.landlord_a]
