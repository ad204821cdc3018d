"""Jobs routes × roles. Objects belong to landlord A's side (tenant_a, staff_a, the employer)."""

from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from services.jobs.models import Match
from tests.api.authz.base import TENANTS, Case, allow
from tests.factories.jobs import JobProfileFactory, MatchFactory, OfferFactory

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _offer(world):
    return {"id": str(OfferFactory(employer=world.employer_a).public_id)}


def _with_cv(tenant):
    profile = JobProfileFactory(tenant=tenant)
    profile.cv.save("cv.pdf", ContentFile(PDF), save=False)
    profile.cv_name = "cv.pdf"
    profile.save()
    return profile


def _cvs(world):
    for tenant in (world.tenant_a, world.tenant_a2, world.tenant_b):
        _with_cv(tenant)
    return {}


def _match(state):
    def make(world):
        profile = _with_cv(world.tenant_a)
        offer = OfferFactory(employer=world.employer_a)
        match = MatchFactory(tenant=profile.tenant, offer=offer, state=state)
        return {"id": str(match.public_id)}

    return make


def _interview(world):
    made = _match("interview")(world)
    Match.objects.filter(public_id=made["id"]).update(
        interview_at=timezone.now() + timedelta(days=3), interview_place="12 rue des Lilas"
    )
    return made


def _profiles(world):
    for tenant in (world.tenant_a, world.tenant_a2, world.tenant_b):
        JobProfileFactory(tenant=tenant)
    return _offer(world)


TENANT_ONLY = allow(*TENANTS)
MATCH_SIDES = allow("tenant_a", "staff_a", "employer", hidden=("tenant_a2", "tenant_b", "staff_b"))

EXPECTATIONS = {
    ("GET", "/jobs/profile/"): Case(expect=TENANT_ONLY),
    ("PUT", "/jobs/profile/"): Case(expect=TENANT_ONLY, body={"search_status": "active"}),
    ("POST", "/jobs/profile/consents/"): Case(
        expect=TENANT_ONLY, body={"purpose": "matching", "granted": True}
    ),
    ("GET", "/jobs/profile/cv/"): Case(expect=TENANT_ONLY, make=_cvs),
    ("POST", "/jobs/profile/cv/"): Case(expect=TENANT_ONLY),
    ("DELETE", "/jobs/profile/cv/"): Case(expect=TENANT_ONLY, make=_cvs),
    ("GET", "/jobs/rome/"): Case(
        expect=allow("tenant_a", "tenant_a2", "tenant_b", "staff_a", "staff_b", "employer")
    ),
    ("GET", "/jobs/stats/"): Case(expect=allow("staff_a", "staff_b")),
    ("GET", "/jobs/offers/"): Case(
        expect=allow("tenant_a", "tenant_a2", "tenant_b", "staff_a", "staff_b", "employer"),
        make=_offer,
    ),
    ("POST", "/jobs/offers/"): Case(expect=allow("staff_a", "staff_b", "employer")),
    ("GET", "/jobs/offers/{id}/"): Case(
        expect=allow(
            "tenant_a", "tenant_a2", "staff_a", "employer", hidden=("tenant_b", "staff_b")
        ),
        make=_offer,
    ),
    # The employer's own offer: only the employer edits it; staff_a (targeted) may only
    # take landlord A off its targets (untarget); an offer staff_a created is theirs too.
    ("PATCH", "/jobs/offers/{id}/"): Case(
        expect={**allow("employer", hidden=("staff_b",)), "staff_a": 403},
        make=_offer,
        body={"title": "Agent d'entretien (H/F)"},
    ),
    ("POST", "/jobs/offers/{id}/untarget/"): Case(
        expect=allow("staff_a", hidden=("staff_b",)), make=_offer
    ),
    ("GET", "/jobs/offers/{id}/candidates/"): Case(
        expect=allow("staff_a", "employer", hidden=("staff_b",)), make=_profiles
    ),
    ("POST", "/jobs/offers/{id}/interest/"): Case(
        expect=allow("tenant_a", "tenant_a2", hidden=("tenant_b",)), make=_profiles
    ),
    ("GET", "/jobs/matches/"): Case(
        expect=allow("tenant_a", "tenant_a2", "tenant_b", "staff_a", "staff_b", "employer"),
        make=_match("proposed"),
    ),
    ("GET", "/jobs/matches/{id}/"): Case(expect=MATCH_SIDES, make=_match("proposed")),
    ("GET", "/jobs/matches/{id}/cv/"): Case(
        expect={
            **allow("tenant_a", "employer", hidden=("tenant_a2", "tenant_b", "staff_b")),
            "staff_a": 403,
            "staff_b": 403,
        },
        make=_match("proposed"),
    ),
    ("GET", "/jobs/matches/{id}/interview.ics/"): Case(
        expect={
            **allow("tenant_a", hidden=("tenant_a2", "tenant_b")),
            "staff_a": 403,
            "staff_b": 403,
            "employer": 403,
        },
        make=_interview,
    ),
    ("POST", "/jobs/matches/{id}/interview-answer/"): Case(
        expect={
            **allow("tenant_a", hidden=("tenant_a2", "tenant_b")),
            "staff_a": 403,
            "staff_b": 403,
            "employer": 403,
        },
        make=_interview,
        body={"answer": "another_time", "message": "Plutôt le jeudi"},
    ),
    ("POST", "/jobs/matches/{id}/propose/"): Case(
        expect=allow("staff_a", hidden=("staff_b",)), make=_match("interested")
    ),
    ("POST", "/jobs/matches/{id}/answer/"): Case(
        expect=allow("employer"), make=_match("proposed"), body={"decision": "postponed"}
    ),
    ("POST", "/jobs/matches/{id}/transition/"): Case(
        expect=MATCH_SIDES,
        make=_match("employer_interested"),
        # A stale expected_state: every side that may see the match gets past authorisation.
        body={"to": "interview", "expected_state": "proposed"},
    ),
}
