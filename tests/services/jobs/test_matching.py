import datetime
import random
from decimal import Decimal

import pytest
import time_machine

from services.jobs import actions, matching
from services.jobs.matching import OfferFeatures, rank_candidates, rank_candidates_python
from services.jobs.models import JobProfile, Match
from tests.factories import ResidenceFactory, TenantFactory
from tests.factories.jobs import JobProfileFactory, MatchFactory, OfferFactory

TODAY = datetime.date(2026, 11, 20)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)):
        yield


def _profile_at(landlord, lat, lng, *, qpv=False, **kwargs):
    residence = ResidenceFactory(
        landlord=landlord, latitude=Decimal(str(lat)), longitude=Decimal(str(lng)), is_qpv=qpv
    )
    return JobProfileFactory(tenant=TenantFactory(residence=residence), **kwargs)


def _ranked_ids(offer, landlord_ids):
    features = OfferFeatures.of(offer)
    sql = [
        (p.pk, s.total, s.rank_score)
        for p, s in rank_candidates(features, landlord_ids=landlord_ids, today=TODAY, limit=50)
    ]
    py = [
        (p.pk, s.total, s.rank_score)
        for p, s in rank_candidates_python(
            features, landlord_ids=landlord_ids, today=TODAY, limit=50
        )
    ]
    return sql, py


def test_score_parts_of_a_perfect_candidate(world):
    offer = OfferFactory(employer=world.employer_a, required_skills=["Vitrerie", "Autolaveuse"])
    profile = _profile_at(
        world.landlord_a,
        46.1560,
        -1.1610,
        romes=("K2204",),
        romes__experience={"K2204": 2},
        skills=["vitrerie", "AUTOLAVEUSE", "accueil"],
    )
    [(row, score)] = rank_candidates(
        OfferFeatures.of(offer), landlord_ids=[world.landlord_a.pk], today=TODAY
    )
    assert row.pk == profile.pk
    assert score.parts == {
        "rome": 35,
        "experience": 5,
        "skills": 10,
        "distance": 15,
        "contract": 10,
        "hours": 5,
        "availability": 5,
        "licence": 5,
    }
    assert score.total == 90
    reasons = matching.reasons_for(
        score=score, rome_label="Agent d'entretien", offer=OfferFeatures.of(offer)
    )
    assert [r["code"] for r in reasons] == [
        "rome_exact",
        "experience",
        "distance",
        "skills",
        "contract",
        "availability",
    ]
    assert reasons[2]["label"] == "0-2 km"  # a band: never where exactly the tenant lives


def test_candidates_outside_the_domain_or_the_travel_limit_are_left_out(world):
    offer = OfferFactory(employer=world.employer_a)
    _profile_at(world.landlord_a, 46.1560, -1.1610, romes=("G1602",))  # cook: other domain
    _profile_at(world.landlord_a, 46.3000, -1.1610, travel_value=5)  # 16 km away, 5 km limit
    near = _profile_at(world.landlord_a, 46.1700, -1.1610, romes=("K2202",))  # same domain
    sql, py = _ranked_ids(offer, [world.landlord_a.pk])
    assert [pk for pk, *_ in sql] == [near.pk]
    assert sql == py


def test_withdrawing_matching_consent_removes_the_tenant_at_once(world):
    offer = OfferFactory(employer=world.employer_a)
    profile = _profile_at(world.landlord_a, 46.1560, -1.1610)
    assert [pk for pk, *_ in _ranked_ids(offer, [world.landlord_a.pk])[0]] == [profile.pk]
    actions.consent_set(tenant=profile.tenant, purpose="matching", granted=False)
    sql, py = _ranked_ids(offer, [world.landlord_a.pk])
    assert sql == py == []
    assert list(profile.romes.values_list("searchable", flat=True)) == [False]
    actions.consent_set(tenant=profile.tenant, purpose="matching", granted=True)
    assert [pk for pk, *_ in _ranked_ids(offer, [world.landlord_a.pk])[0]] == [profile.pk]


def test_a_profile_update_moves_its_search_rows_along(world):
    offer = OfferFactory(employer=world.employer_a)
    profile = _profile_at(world.landlord_a, 46.1560, -1.1610)
    actions.profile_update(tenant=profile.tenant, data={"search_status": "not_searching"})
    assert _ranked_ids(offer, [world.landlord_a.pk]) == ([], [])
    actions.profile_update(
        tenant=profile.tenant, data={"search_status": "active", "travel_value": 40}
    )
    row = profile.romes.get()
    assert (row.searchable, row.max_distance_km, row.landlord_id) == (
        True,
        40.0,
        world.landlord_a.pk,
    )
    assert [pk for pk, *_ in _ranked_ids(offer, [world.landlord_a.pk])[0]] == [profile.pk]


def test_not_searching_profiles_are_never_candidates(world):
    offer = OfferFactory(employer=world.employer_a)
    _profile_at(world.landlord_a, 46.1560, -1.1610, search_status="not_searching")
    assert _ranked_ids(offer, [world.landlord_a.pk]) == ([], [])


def test_qpv_residents_come_first_at_equal_score(world):
    offer = OfferFactory(employer=world.employer_a)
    first = _profile_at(world.landlord_a, 46.1560, -1.1610, qpv=False)
    qpv = _profile_at(world.landlord_a, 46.1560, -1.1610, qpv=True)
    sql, py = _ranked_ids(offer, [world.landlord_a.pk])
    assert [pk for pk, *_ in sql] == [qpv.pk, first.pk]
    assert sql == py


def test_a_tenant_holding_several_open_matches_is_ranked_lower(world):
    offer = OfferFactory(employer=world.employer_a)
    busy = _profile_at(world.landlord_a, 46.1560, -1.1610, qpv=True)
    calm = _profile_at(world.landlord_a, 46.1560, -1.1610)
    for _ in range(3):
        MatchFactory(tenant=busy.tenant, offer=OfferFactory(employer=world.employer_a))
    sql, py = _ranked_ids(offer, [world.landlord_a.pk])
    assert sql == py
    assert sql == [(calm.pk, 85, 85), (busy.pk, 85, 75)]


def test_another_landlords_tenants_are_not_ranked(world):
    offer = OfferFactory(employer=world.employer_a)
    _profile_at(world.landlord_b, 46.1560, -1.1610)
    assert _ranked_ids(offer, [world.landlord_a.pk]) == ([], [])


def test_sql_and_python_rankings_agree_on_random_data(world):
    rng = random.Random(7)
    codes = ["K2204", "K2202", "K2201", "N1103", "N4105", "G1602"]
    skills = ["vitrerie", "autolaveuse", "accueil", "caces", "hygiene", "cuisine"]
    for _ in range(60):
        _profile_at(
            world.landlord_a,
            46.16 + rng.uniform(-0.15, 0.15),
            -1.15 + rng.uniform(-0.2, 0.2),
            qpv=rng.random() < 0.3,
            romes=rng.sample(codes, rng.randint(1, 2)),
            romes__experience={rng.choice(codes): rng.randint(0, 3)},
            skills=rng.sample(skills, rng.randint(0, 4)),
            contracts=rng.sample(["cdi", "cdd", "interim", "iae"], rng.randint(0, 2)),
            travel_mode=rng.choice(["km", "bike", "transit"]),
            travel_value=rng.randint(5, 40),
            hours_per_week=rng.choice([None, 20, 35]),
            available_from=rng.choice(
                [
                    None,
                    TODAY,
                    TODAY + datetime.timedelta(days=20),
                    TODAY + datetime.timedelta(days=90),
                ]
            ),
            has_driving_licence=rng.random() < 0.5,
        )
    offer = OfferFactory(
        employer=world.employer_a,
        required_skills=["Vitrerie", "CACES", "Hygiène"],
        driving_licence_required=True,
        contract_type="cdd",
        hours_per_week=30,
    )
    sql, py = _ranked_ids(offer, [world.landlord_a.pk])
    assert len(sql) > 10
    assert sql == py


def test_travel_minutes_become_a_capped_distance():
    assert matching.travel_distance_km("km", 12) == 12.0
    assert matching.travel_distance_km("walk", 30) == 2.25
    assert matching.travel_distance_km("car", 600) == 50.0


def test_busy_penalty_is_capped():
    assert [matching.busy_penalty(n) for n in range(7)] == [0, 0, 5, 10, 15, 15, 15]


def test_match_model_open_states_include_suggested():
    assert Match.State.SUGGESTED in matching.OPEN_STATES
    assert JobProfile.SearchStatus.NOT_SEARCHING == "not_searching"
