import pytest

from services.accounts.models import PartnerAccess
from services.core import clock
from services.jobs import actions
from services.jobs.models import Match, Offer
from services.jobs.policies import candidate_pseudonym
from tests.conftest import client_for
from tests.factories import EmployerFactory, TenantFactory
from tests.factories.jobs import JobProfileFactory, MatchFactory, OfferFactory

pytestmark = pytest.mark.django_db

OFFER = {
    "title": "Agent·e d'entretien",
    "appellation": "38346",
    "contract_type": "cdi",
    "hours_per_week": 24,
    "salary_min_cents": 180000,
    "salary_max_cents": 200000,
    "address": "3 avenue du Port",
    "postcode": "17000",
    "city": "La Rochelle",
    "latitude": 46.155,
    "longitude": -1.16,
    "start_date": "2026-12-01",
    "positions": 2,
    "required_skills": ["Vitrerie"],
    "status": "published",
}


def test_staff_posts_an_offer_for_a_partner_employer(world):
    from services.jobs.models import RomeAppellation

    body = {**OFFER, "employer": str(world.employer_a.public_id)}
    response = client_for(world.staff_a.user).post("/api/v1/jobs/offers/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "published"
    assert data["rome_code"] == RomeAppellation.objects.get(code="38346").rome.code
    assert data["target_landlords"] == [str(world.landlord_a.public_id)]
    assert data["employer"] == {"id": str(world.employer_a.public_id), "name": "Océan Propreté"}


def test_employer_cannot_target_a_landlord_it_is_not_partnered_with(world):
    body = {**OFFER, "target_landlords": [str(world.landlord_b.public_id)]}
    response = client_for(world.employer_member.user).post(
        "/api/v1/jobs/offers/", body, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "landlord_not_partner"
    assert not Offer.objects.exists()


def test_staff_cannot_post_for_another_landlords_employer(world):
    other = EmployerFactory(landlords=[world.landlord_b])
    body = {**OFFER, "employer": str(other.public_id)}
    response = client_for(world.staff_a.user).post("/api/v1/jobs/offers/", body, format="json")
    assert response.status_code == 404
    assert not Offer.objects.exists()


def test_tenant_feed_lists_published_offers_for_me_best_first(world):
    JobProfileFactory(tenant=world.tenant_a, romes=("K2204",))
    best = OfferFactory(employer=world.employer_a, title="Agent d'entretien")
    other = OfferFactory(employer=world.employer_a, title="Cuisinier", rome_code="G1602")
    OfferFactory(employer=world.employer_a, status=Offer.Status.DRAFT)
    response = client_for(world.tenant_a.user).get("/api/v1/jobs/offers/")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["offer"]["id"] for r in results] == [str(best.public_id), str(other.public_id)]
    assert results[0]["score"] > results[1]["score"]
    assert results[0]["reasons"][0] == {"code": "rome_exact", "label": "Agent d'entretien"}
    filtered = client_for(world.tenant_a.user).get("/api/v1/jobs/offers/", {"rome": "G16"})
    assert [r["offer"]["id"] for r in filtered.json()["results"]] == [str(other.public_id)]
    assert client_for(world.tenant_b.user).get("/api/v1/jobs/offers/").json()["results"] == []


def test_offer_status_steps_and_closing_makes_open_matches_obsolete(world):
    offer = OfferFactory(employer=world.employer_a)
    JobProfileFactory(tenant=world.tenant_a)
    match = MatchFactory(tenant=world.tenant_a, offer=offer, state=Match.State.PROPOSED)
    client = client_for(world.employer_member.user)
    url = f"/api/v1/jobs/offers/{offer.public_id}/"
    assert client.patch(url, {"status": "draft"}, format="json").status_code == 409
    assert client.patch(url, {"status": "paused"}, format="json").json()["status"] == "paused"
    assert client.patch(url, {"status": "closed"}, format="json").json()["status"] == "closed"
    match.refresh_from_db()
    assert match.state == Match.State.OBSOLETE
    assert match.transitions.last().note == "offer closed"


def _candidates(n, world):
    for _ in range(n):
        JobProfileFactory(tenant=TenantFactory(residence=world.residence_a))


def test_candidate_cards_are_anonymous(world):
    offer = OfferFactory(employer=world.employer_a, required_skills=["Vitrerie"])
    profile = JobProfileFactory(tenant=world.tenant_a, skills=["Vitrerie"])
    response = client_for(world.employer_member.user).get(
        f"/api/v1/jobs/offers/{offer.public_id}/candidates/"
    )
    assert response.status_code == 200
    [card] = response.json()["results"]
    assert card["id"] == str(candidate_pseudonym(profile=profile, offer=offer, side="employer"))
    assert card["id"] != str(profile.public_id)
    assert card["score"] == 80  # 35 + 5 (one skill) + 15 + 10 + 5 + 5 + 5
    assert card["distance_band"] == "0-2 km"
    assert {"code": "distance", "label": "0-2 km"} in card["reasons"]
    assert card["volunteer_hours"] == 0.0
    text = response.content.decode()
    user = world.tenant_a.user
    for secret in (
        user.first_name,
        user.last_name,
        user.email,
        world.residence_a.address,
        str(world.tenant_a.public_id),
        str(user.public_id),
    ):
        assert secret not in text
    assert set(card) == {
        "id",
        "score",
        "rank_score",
        "reasons",
        "rome_codes",
        "skills",
        "distance_band",
        "available_from",
        "hours_per_week",
        "available_days",
        "contract_types",
        "has_driving_licence",
        "education_level",
        "languages",
        "volunteer_hours",
        "match",
    }


def test_staff_see_only_their_landlords_candidates(world):
    world.employer_a.landlords.add(world.landlord_b)
    PartnerAccess.objects.create(
        member=world.employer_member, landlord=world.landlord_b, granted_at=clock.now()
    )
    offer = OfferFactory(employer=world.employer_a, targets=[world.landlord_a, world.landlord_b])
    JobProfileFactory(tenant=world.tenant_a)
    b = JobProfileFactory(tenant=world.tenant_b)
    b.latitude, b.longitude = 46.156, -1.161
    b.save()
    actions.profile_rows_sync(profile=b)
    staff = client_for(world.staff_a.user).get(f"/api/v1/jobs/offers/{offer.public_id}/candidates/")
    employer = client_for(world.employer_member.user).get(
        f"/api/v1/jobs/offers/{offer.public_id}/candidates/"
    )
    assert len(staff.json()["results"]) == 1
    assert len(employer.json()["results"]) == 2


@pytest.mark.parametrize("n", [1, 100])
def test_candidates_query_count_does_not_grow(world, n, django_assert_num_queries):
    offer = OfferFactory(employer=world.employer_a)
    _candidates(n, world)
    client = client_for(world.employer_member.user)
    url = f"/api/v1/jobs/offers/{offer.public_id}/candidates/?page_size=100"
    with django_assert_num_queries(9):
        response = client.get(url)
    assert len(response.json()["results"]) == n


@pytest.mark.parametrize("n", [1, 100])
def test_offer_list_query_count_does_not_grow(world, n, django_assert_num_queries):
    for _ in range(n):
        OfferFactory(employer=world.employer_a)
    client = client_for(world.staff_a.user)
    with django_assert_num_queries(3):
        response = client.get("/api/v1/jobs/offers/?page_size=100")
    assert len(response.json()["results"]) == n


@pytest.mark.parametrize("n", [1, 100])
def test_tenant_feed_query_count_does_not_grow(world, n, django_assert_num_queries):
    JobProfileFactory(tenant=world.tenant_a)
    for _ in range(n):
        OfferFactory(employer=world.employer_a)
    client = client_for(world.tenant_a.user)
    with django_assert_num_queries(8):
        response = client.get("/api/v1/jobs/offers/?page_size=100")
    assert len(response.json()["results"]) == n


def test_candidate_cards_show_validated_volunteer_hours(world):
    from services.volunteering.models import Signup
    from tests.factories.volunteering import MissionFactory, SignupFactory, SlotFactory

    offer = OfferFactory(employer=world.employer_a)
    JobProfileFactory(tenant=world.tenant_a)
    slot = SlotFactory(mission=MissionFactory(landlord=world.landlord_a))  # two hours
    SignupFactory(slot=slot, tenant=world.tenant_a, status=Signup.Status.ATTENDED)
    SignupFactory(tenant=world.tenant_a, status=Signup.Status.CONFIRMED)  # not validated
    response = client_for(world.staff_a.user).get(
        f"/api/v1/jobs/offers/{offer.public_id}/candidates/"
    )
    assert [card["volunteer_hours"] for card in response.json()["results"]] == [2.0]
