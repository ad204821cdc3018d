"""PostgreSQL only: a landlord leaving a shared offer while its tenants and the employer act."""

import pytest

from services.core import clock
from services.core.errors import DomainError
from services.jobs import actions, transitions
from services.jobs.models import Match
from tests.concurrency import run_concurrently
from tests.factories import TenantFactory
from tests.factories.jobs import JobProfileFactory, MatchFactory, OfferFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _outcome(result) -> str:
    if isinstance(result, DomainError):
        return result.code
    if isinstance(result, BaseException):
        return f"error {type(result).__name__}: {result}"
    return "ok"


def test_a_tenants_interest_racing_its_landlord_leaving_leaves_no_open_match(world):
    world.employer_a.landlords.add(world.landlord_b)
    for _round in range(3):
        offer = OfferFactory(
            employer=world.employer_a, targets=[world.landlord_a, world.landlord_b]
        )
        tenant = TenantFactory(residence=world.residence_b)
        JobProfileFactory(tenant=tenant)

        outcomes = [
            _outcome(r)
            for r in run_concurrently(
                [
                    lambda offer=offer, tenant=tenant: actions.match_express_interest(
                        user=tenant.user, offer=offer
                    ),
                    lambda offer=offer: actions.offer_untarget(
                        actor=world.staff_b.user, offer=offer
                    ),
                ]
            )
        ]
        assert outcomes[1] == "ok", outcomes
        assert outcomes[0] in ("ok", "offer_not_open"), outcomes
        assert list(offer.target_landlords.all()) == [world.landlord_a]
        open_b = Match.objects.filter(
            offer=offer, landlord=world.landlord_b, state__in=transitions.OPEN_STATES
        )
        assert not open_b.exists()


def test_a_hire_and_the_landlord_leaving_at_once_never_deadlock(world):
    """Both lock the offer first, then its matches in id order."""
    world.employer_a.landlords.add(world.landlord_b)
    employer = world.employer_member.user
    from services.accounts.models import PartnerAccess

    PartnerAccess.objects.create(
        member=world.employer_member, landlord=world.landlord_b, granted_at=clock.now()
    )
    for _round in range(3):
        offer = OfferFactory(
            employer=world.employer_a,
            targets=[world.landlord_a, world.landlord_b],
            positions=1,
        )
        matches = []
        for _ in range(3):
            tenant = TenantFactory(residence=world.residence_b)
            JobProfileFactory(tenant=tenant)
            matches.append(MatchFactory(tenant=tenant, offer=offer, state=Match.State.INTERVIEW))
        hire = matches[-1]
        outcomes = [
            _outcome(r)
            for r in run_concurrently(
                [
                    lambda hire=hire: transitions.match_transition(
                        match=hire,
                        actor=employer,
                        to="hired",
                        expected_state="interview",
                        data={"hire_start_date": clock.today()},
                    ),
                    lambda offer=offer: actions.offer_untarget(
                        actor=world.staff_b.user, offer=offer
                    ),
                ]
            )
        ]
        assert all(not o.startswith("error") for o in outcomes), outcomes
        assert outcomes[1] == "ok"
        assert not Match.objects.filter(offer=offer, state__in=transitions.OPEN_STATES).exists()
