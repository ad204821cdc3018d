"""PostgreSQL only: real concurrent transitions, and the ranking's query plan."""

import threading

import pytest
from django.db import connection, connections

from services.core import clock
from services.core.errors import DomainError
from services.jobs import matching, transitions
from services.jobs.models import Match, MatchTransition
from tests.factories.jobs import JobProfileFactory, MatchFactory, OfferFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_concurrent_answers_to_one_match_exactly_one_wins(world):
    JobProfileFactory(tenant=world.tenant_a)
    match = MatchFactory(
        tenant=world.tenant_a,
        offer=OfferFactory(employer=world.employer_a),
        state=Match.State.PROPOSED,
    )
    employer = world.employer_member.user
    barrier = threading.Barrier(2)
    outcomes = []

    def answer(to, data):
        try:
            barrier.wait()
            transitions.match_transition(
                match=match, actor=employer, to=to, expected_state="proposed", data=data
            )
            outcomes.append(("ok", to))
        except transitions.StaleState:
            outcomes.append(("stale", to))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=answer, args=("employer_interested", {})),
        threading.Thread(target=answer, args=("declined", {"decline_reason": "distance"})),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(kind for kind, _ in outcomes) == ["ok", "stale"]
    winner = next(to for kind, to in outcomes if kind == "ok")
    match.refresh_from_db()
    assert match.state == winner
    assert MatchTransition.objects.filter(match=match, from_state="proposed").count() == 1


CITIES = [
    (46.16, -1.15),
    (45.76, 4.84),
    (48.86, 2.35),
    (43.30, 5.37),
    (50.63, 3.06),
    (47.22, -1.55),
    (44.84, -0.58),
    (43.60, 1.44),
]


def _bulk_profiles(world, n):
    """n consenting profiles spread over eight cities, half of them in another trade."""
    import datetime
    import random

    from services.accounts.models import Residence, Tenancy, Tenant, User
    from services.jobs.models import JobProfile, ProfileRome, ProfileSkill

    rng = random.Random(3)
    residences = Residence.objects.bulk_create(
        [
            Residence(
                landlord=world.landlord_a,
                name=f"R{i}",
                address="1 rue",
                postcode="00000",
                city="X",
                latitude=lat,
                longitude=lng,
            )
            for i, (lat, lng) in enumerate(CITIES)
        ]
    )
    users = User.objects.bulk_create(
        [User(email=f"plan{i}@example.org", role="tenant", password="!") for i in range(n)]
    )
    homes = [residences[i % len(residences)] for i in range(n)]
    tenancies = Tenancy.objects.bulk_create(
        [
            Tenancy(
                landlord=world.landlord_a,
                residence=home,
                unit_reference=f"U{i}",
                tenant_reference=f"PLAN-{i}",
                holder_names="X",
                start_date=datetime.date(2020, 1, 1),
            )
            for i, home in enumerate(homes)
        ]
    )
    tenants = Tenant.objects.bulk_create(
        [
            Tenant(user=u, landlord=world.landlord_a, tenancy=t)
            for u, t in zip(users, tenancies, strict=True)
        ]
    )
    profiles = JobProfile.objects.bulk_create(
        [
            JobProfile(
                tenant=tenant,
                landlord=world.landlord_a,
                matching_consent=True,
                latitude=float(home.latitude) + rng.uniform(-0.1, 0.1),
                longitude=float(home.longitude) + rng.uniform(-0.1, 0.1),
                max_distance_km=20,
            )
            for tenant, home in zip(tenants, homes, strict=True)
        ]
    )
    codes = ["K2204", "G1602", "N1103", "H2102", "J1501", "D1106", "F1703", "M1607"]
    ProfileRome.objects.bulk_create(
        [
            ProfileRome(
                profile=p,
                rome_code=codes[i % 8],
                domain=codes[i % 8][:3],
                **ProfileRome.copied_from(p),
            )
            for i, p in enumerate(profiles)
        ]
    )
    ProfileSkill.objects.bulk_create(
        [
            ProfileSkill(profile=p, skill=rng.choice(["vitrerie", "cuisine", "caces 1"]))
            for p in profiles
        ]
    )


def test_the_ranking_query_uses_the_bounding_box_and_rome_indexes(world):
    offer = OfferFactory(employer=world.employer_a, required_skills=["vitrerie"])
    _bulk_profiles(world, 2000)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE jobs_jobprofile")
        cursor.execute("VACUUM ANALYZE jobs_profilerome")
        cursor.execute("VACUUM ANALYZE jobs_profileskill")
    plan = matching.explain_candidates(
        matching.OfferFeatures.of(offer), landlord_ids=[world.landlord_a.pk], today=clock.today()
    )
    # The ROME domain and the bounding box, answered by one index alone.
    assert "Index Only Scan using jobs_profilerome_domain_geo" in plan, plan
    assert "latitude >=" in plan and "longitude <=" in plan, plan
    assert "Seq Scan on jobs_profilerome" not in plan, plan
    assert "Seq Scan on jobs_profileskill" not in plan, plan


def _race(*calls):
    """Run each call in its own thread and connection, all released at once: outcomes."""
    barrier = threading.Barrier(len(calls))
    outcomes = []

    def run(call):
        try:
            barrier.wait()
            call()
            outcomes.append("ok")
        except DomainError:  # stale, invalid transition or status: a clean 4xx
            outcomes.append("refused")
        except Exception as exc:  # a deadlock is an OperationalError: a 500 for the client
            outcomes.append(f"error: {exc.__class__.__name__}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


def test_two_concurrent_hires_of_one_tenant_never_deadlock(world):
    """Hiring a tenant on two offers at once: one hire wins, the other is refused (its match
    became obsolete); before, each locked its own match then waited for the other's."""
    from tests.factories import TenantFactory

    employer = world.employer_member.user
    for _round in range(3):
        tenant = TenantFactory(residence=world.residence_a)
        JobProfileFactory(tenant=tenant)
        matches = [
            MatchFactory(
                tenant=tenant,
                offer=OfferFactory(employer=world.employer_a),
                state=Match.State.INTERVIEW,
            )
            for _ in range(2)
        ]

        def hire(match):
            return lambda: transitions.match_transition(
                match=match,
                actor=employer,
                to="hired",
                expected_state="interview",
                data={"hire_start_date": clock.today()},
            )

        assert _race(*(hire(m) for m in matches)) == ["ok", "refused"]
        states = sorted(Match.objects.filter(tenant=tenant).values_list("state", flat=True))
        assert states == ["hired", "obsolete"]


def test_a_hire_and_closing_the_offer_at_once_never_deadlock(world):
    """The last position filled closes the offer's open matches while the employer closes
    the offer: both lock the offer first, then its matches."""
    from services.jobs import actions
    from tests.factories import TenantFactory

    employer = world.employer_member.user
    for _round in range(3):
        offer = OfferFactory(employer=world.employer_a)
        matches = []
        for _ in range(3):
            tenant = TenantFactory(residence=world.residence_a)
            JobProfileFactory(tenant=tenant)
            matches.append(MatchFactory(tenant=tenant, offer=offer, state=Match.State.INTERVIEW))
        hire = matches[-1]

        def do_hire(hire=hire):
            transitions.match_transition(
                match=hire,
                actor=employer,
                to="hired",
                expected_state="interview",
                data={"hire_start_date": clock.today()},
            )

        def do_close(offer=offer):
            actions.offer_update(actor=employer, offer=offer, data={"status": "closed"})

        outcomes = _race(do_hire, do_close)
        assert all(not o.startswith("error") for o in outcomes), outcomes
        assert Match.objects.filter(offer=offer, state__in=transitions.OPEN_STATES).count() == 0
