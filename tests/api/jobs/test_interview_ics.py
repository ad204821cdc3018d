"""GET /jobs/matches/{id}/interview.ics: the tenant's calendar event for the interview."""

from datetime import timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from services.jobs.models import Match
from tests.conftest import client_for
from tests.factories.jobs import JobProfileFactory, MatchFactory, OfferFactory

pytestmark = pytest.mark.django_db


def _match(world, state=Match.State.INTERVIEW, **fields):
    JobProfileFactory(tenant=world.tenant_a)
    offer = OfferFactory(employer=world.employer_a, title="Agent de propreté")
    return MatchFactory(tenant=world.tenant_a, offer=offer, state=state, **fields)


def _url(match):
    return f"/api/v1/jobs/matches/{match.public_id}/interview.ics/"


def test_the_tenant_gets_the_interview_as_an_event(world):
    when = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    match = _match(world, interview_at=when, interview_place="12 rue des Lilas, Nantes")
    response = client_for(world.tenant_a.user).get(_url(match))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    event = Calendar.from_ical(response.getvalue()).walk("VEVENT")[0]
    assert event.decoded("dtstart") == when
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(hours=1)
    assert str(event["location"]) == "12 rue des Lilas, Nantes"
    assert "Agent de propreté" in str(event["summary"])
    assert str(event["uid"]) == f"interview-{match.public_id}@voisinage"


def test_no_interview_planned_is_a_404(world):
    match = _match(world, state=Match.State.EMPLOYER_INTERESTED)
    response = client_for(world.tenant_a.user).get(_url(match))
    assert response.status_code == 404
    assert response.json()["code"] == "no_interview"


def test_another_tenant_gets_404(world):
    match = _match(world, interview_at=timezone.now() + timedelta(days=1), interview_place="X")
    assert client_for(world.tenant_a2.user).get(_url(match)).status_code == 404
