"""The console home: what waits for each role today, counted by the areas' selectors."""

import pytest
from django.utils import translation

from notifications.services import announcement_create
from services.jobs.models import Match
from services.loyalty.actions import reward_redeem
from services.volunteering.models import Mission, Signup
from tests.factories.jobs import MatchFactory, OfferFactory
from tests.factories.loyalty import RewardFactory, give_points
from tests.factories.volunteering import MissionFactory, SignupFactory, SlotFactory

pytestmark = pytest.mark.django_db


def _tiles(client) -> dict:
    tiles = client.get("/console/").context["tiles"]
    with translation.override("fr"):
        return {str(t["label"]): t["count"] for t in tiles}


@pytest.fixture
def busy_day(world, console):
    offer = OfferFactory(employer=world.employer_a)
    MatchFactory(tenant=world.tenant_a, offer=offer, state=Match.State.PROPOSED)
    MatchFactory(tenant=world.tenant_a2, offer=offer, state=Match.State.INTERESTED)
    MatchFactory(tenant=world.tenant_b, offer=OfferFactory(), state=Match.State.PROPOSED)
    slot = SlotFactory(mission=MissionFactory(landlord=world.landlord_a), capacity=1)
    SignupFactory(slot=slot, tenant=world.tenant_a, status=Signup.Status.CONFIRMED)
    SignupFactory(slot=slot, tenant=world.tenant_a2, status=Signup.Status.WAITLISTED)
    MissionFactory(
        landlord=world.landlord_a, status=Mission.Status.PROPOSED, proposed_by=world.tenant_a
    )
    give_points(world.tenant_a, 500)
    reward_redeem(tenant=world.tenant_a, reward=RewardFactory(landlord=world.landlord_a))
    give_points(world.tenant_b, 500)
    reward_redeem(tenant=world.tenant_b, reward=RewardFactory(landlord=world.landlord_b))
    announcement_create(author=console.admin_a.user, title="Fête", body="Samedi")
    announcement_create(author=console.admin_b.user, title="Autre", body="B")


def test_admin_sees_every_count_of_their_landlord_only(console, web_client, busy_day):
    tiles = _tiles(web_client(console.admin_a.user))
    assert tiles == {
        "Propositions sans réponse de l’employeur": 1,
        "Locataires intéressés à proposer": 1,
        "Inscriptions en liste d’attente": 1,
        "Initiatives à approuver": 1,
        "Bons émis cette semaine": 1,
        "Annonces envoyées cette semaine": 1,
    }


def test_job_advisor_sees_jobs_and_announcements(console, web_client, busy_day):
    tiles = _tiles(web_client(console.advisor_a.user))
    assert set(tiles) == {
        "Propositions sans réponse de l’employeur",
        "Locataires intéressés à proposer",
        "Annonces envoyées cette semaine",
    }


def test_community_officer_sees_volunteering_loyalty_and_announcements(
    console, web_client, busy_day
):
    tiles = _tiles(web_client(console.community_a.user))
    assert set(tiles) == {
        "Inscriptions en liste d’attente",
        "Initiatives à approuver",
        "Bons émis cette semaine",
        "Annonces envoyées cette semaine",
    }


def test_each_number_links_to_its_list(console, web_client, busy_day):
    response = web_client(console.admin_a.user).get("/console/")
    urls = [t["url"] for t in response.context["tiles"]]
    assert all(url.startswith("/console/") for url in urls)
    for url in urls:
        assert f'href="{url}"' in response.content.decode()
