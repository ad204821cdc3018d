"""POST /jobs/matches/{id}/propose/ to an employer nobody can be e-mailed at: a clear 409."""

import pytest

from services.jobs.models import Match
from tests.conftest import client_for
from tests.factories import EmployerFactory, StaffFactory
from tests.factories.jobs import JobProfileFactory, MatchFactory, OfferFactory

pytestmark = pytest.mark.django_db


def test_the_api_refuses_with_a_clear_message(world):
    JobProfileFactory(tenant=world.tenant_a)
    lonely = EmployerFactory(name="Garage Sans Membre", landlords=[world.landlord_a])
    match = MatchFactory(
        tenant=world.tenant_a, offer=OfferFactory(employer=lonely), state=Match.State.INTERESTED
    )
    staff = StaffFactory(landlord=world.landlord_a, role="job_advisor").user
    response = client_for(staff).post(
        f"/api/v1/jobs/matches/{match.public_id}/propose/", {}, format="json"
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "employer_unreachable"
    assert "e-mail" in body["message"]
    match.refresh_from_db()
    assert match.state == Match.State.INTERESTED
