"""The console's one-click proposal to an employer nobody can be e-mailed at: the message."""

import pytest

from services.jobs.models import Match
from tests.factories import EmployerFactory
from tests.factories.jobs import JobProfileFactory, MatchFactory, OfferFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("htmx", [False, True])
def test_the_console_shows_why_the_proposal_was_refused(world, console, web_client, htmx):
    JobProfileFactory(tenant=world.tenant_a)
    lonely = EmployerFactory(name="Garage Sans Membre", landlords=[world.landlord_a])
    match = MatchFactory(
        tenant=world.tenant_a, offer=OfferFactory(employer=lonely), state=Match.State.INTERESTED
    )
    client = web_client(console.advisor_a.user)
    url = f"/console/jobs/matches/{match.public_id}/propose/"
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.post(url, follow=not htmx, **headers)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Personne chez cet employeur ne peut recevoir la proposition" in text
    match.refresh_from_db()
    assert match.state == Match.State.INTERESTED
