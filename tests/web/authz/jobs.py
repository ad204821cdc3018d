"""The jobs section's pages: admins and job advisors of the landlord; another landlord's
offer, match or employer is a 404 (reads and writes), other roles 403."""

from tests.factories import EmployerMemberFactory
from web.access import ADMIN, JOB_ADVISOR

from .base import OK, Case, staff_only

JOBS = staff_only(ADMIN, JOB_ADVISOR, other_landlord=OK)
JOBS_OBJECT = staff_only(ADMIN, JOB_ADVISOR, other_landlord=404)


def _offer(world, console):
    from tests.factories.jobs import OfferFactory

    return {"id": OfferFactory(employer=world.employer_a).public_id}


def _candidate(world, console):
    from tests.factories.jobs import JobProfileFactory, OfferFactory

    offer = OfferFactory(employer=world.employer_a)
    profile = JobProfileFactory(tenant=world.tenant_a)
    return {"id": offer.public_id, "profile_id": profile.public_id}


def _match(world, console):
    from tests.factories.jobs import MatchFactory, OfferFactory

    offer = OfferFactory(employer=world.employer_a)
    return {"id": MatchFactory(tenant=world.tenant_a, offer=offer).public_id}


def _employer(world, console):
    return {"id": world.employer_a.public_id}


def _employer_member(world, console):
    """A member of landlord A's partner employer still waiting for A's approval."""
    member = EmployerMemberFactory(employer=world.employer_a, grants=[])
    return {"id": world.employer_a.public_id, "member_id": member.public_id}


EXPECTATIONS = {
    "/console/jobs/": Case(expect=JOBS),
    "/console/jobs/offers/": Case(expect=JOBS),
    "/console/jobs/offers/new/": Case(expect=JOBS),
    "/console/jobs/offers/new/ POST": Case(expect=JOBS, data={"title": ""}),
    "/console/jobs/offers/{id}/": Case(expect=JOBS_OBJECT, make=_offer),
    "/console/jobs/offers/{id}/edit/": Case(expect=JOBS_OBJECT, make=_offer),
    "/console/jobs/offers/{id}/edit/ POST": Case(
        expect=JOBS_OBJECT, make=_offer, data={"title": ""}
    ),
    # POST-only: a GET answers 405 past the role check; the POST proves the scoping.
    "/console/jobs/offers/{id}/status/": Case(expect=JOBS, make=_offer),
    "/console/jobs/offers/{id}/status/ POST": Case(
        expect=JOBS_OBJECT, make=_offer, data={"status": "closed"}
    ),
    "/console/jobs/offers/{id}/untarget/": Case(expect=JOBS, make=_offer),
    "/console/jobs/offers/{id}/untarget/ POST": Case(expect=JOBS_OBJECT, make=_offer),
    "/console/jobs/offers/{id}/candidates/": Case(expect=JOBS_OBJECT, make=_offer),
    "/console/jobs/offers/{id}/candidates/{profile_id}/suggest/": Case(
        expect=JOBS, make=_candidate
    ),
    "/console/jobs/offers/{id}/candidates/{profile_id}/suggest/ POST": Case(
        expect=JOBS_OBJECT, make=_candidate
    ),
    "/console/jobs/rome/": Case(expect=JOBS),
    "/console/jobs/matches/": Case(expect=JOBS),
    "/console/jobs/matches/{id}/": Case(expect=JOBS_OBJECT, make=_match),
    "/console/jobs/matches/{id}/propose/": Case(expect=JOBS, make=_match),
    "/console/jobs/matches/{id}/propose/ POST": Case(expect=JOBS_OBJECT, make=_match),
    "/console/jobs/employers/": Case(expect=JOBS),
    "/console/jobs/employers/new/": Case(expect=JOBS),
    "/console/jobs/employers/new/ POST": Case(expect=JOBS, data={"name": ""}),
    "/console/jobs/employers/{id}/": Case(expect=JOBS_OBJECT, make=_employer),
    "/console/jobs/employers/{id}/invite/": Case(expect=JOBS, make=_employer),
    "/console/jobs/employers/{id}/invite/ POST": Case(
        expect=JOBS_OBJECT, make=_employer, data={"email": "invite@example.org"}
    ),
    "/console/jobs/employers/{id}/members/{member_id}/access/": Case(
        expect=JOBS, make=_employer_member
    ),
    "/console/jobs/employers/{id}/members/{member_id}/access/ POST": Case(
        expect=JOBS_OBJECT, make=_employer_member, data={"grant": "1"}
    ),
    "/console/jobs/stats/": Case(expect=JOBS),
}
