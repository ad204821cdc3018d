"""The home screen's offers: the ranking is kept under its inputs' versions, never stale."""

import datetime

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone

from services.core import clock
from services.jobs.models import Offer
from tests.conftest import client_for
from tests.factories.accounts import EmployerFactory
from tests.factories.jobs import JobProfileFactory, OfferFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/home/"
PROFILE = {
    "search_status": "active",
    "wished_appellations": [],
    "experiences": [],
    "travel_mode": "bike",
    "travel_value": 30,
    "contract_types": ["cdi"],
}


def _offer_ids(client) -> list[str]:
    response = client.get(URL)
    assert response.status_code == 200, response.content
    return [item["offer"]["id"] for item in response.json()["offers"]]


def test_a_new_offer_and_a_closed_one_show_at_once(world):
    JobProfileFactory(tenant=world.tenant_a)
    client = client_for(world.tenant_a.user)
    assert _offer_ids(client) == []

    offer = OfferFactory(employer=world.employer_a)
    assert _offer_ids(client) == [str(offer.public_id)]

    offer.status = Offer.Status.CLOSED
    offer.save()
    assert _offer_ids(client) == []


def test_an_edited_profile_ranks_the_offers_again(world):
    client = client_for(world.tenant_a.user)
    cleaning = OfferFactory(employer=world.employer_a, title="Agent d'entretien", rome_code="K2204")
    sales = OfferFactory(employer=world.employer_a, title="Vendeur", rome_code="D1106")
    for wished, best in (("K2204", cleaning), ("D1106", sales)):
        profile = {**PROFILE, "wished_rome_codes": [wished]}
        assert client.put("/api/v1/jobs/profile/", profile, format="json").status_code == 200
        assert _offer_ids(client)[0] == str(best.public_id)


def test_the_ranking_is_mine_and_not_another_landlords(world):
    JobProfileFactory(tenant=world.tenant_a)
    JobProfileFactory(tenant=world.tenant_b)
    mine = OfferFactory(employer=world.employer_a)
    theirs = OfferFactory(employer=EmployerFactory(landlords=[world.landlord_b]))
    assert _offer_ids(client_for(world.tenant_a.user)) == [str(mine.public_id)]
    assert _offer_ids(client_for(world.tenant_b.user)) == [str(theirs.public_id)]


def test_an_employers_new_name_shows_at_once(world):
    JobProfileFactory(tenant=world.tenant_a)
    OfferFactory(employer=world.employer_a)
    client = client_for(world.tenant_a.user)
    client.get(URL)
    world.employer_a.name = "Boulangerie Renommée"
    world.employer_a.save()
    body = client.get(URL).json()
    assert body["offers"][0]["offer"]["employer"]["name"] == "Boulangerie Renommée"


def test_the_next_day_ranks_again(world):
    # Available tomorrow: today the offer (starting at once) scores "soon", tomorrow "now".
    # Noon, then 1 a.m. the next day: well within the cache's 24 hours.
    today = timezone.localtime(clock.now()).replace(hour=12, minute=0)
    tomorrow = today.date() + datetime.timedelta(days=1)
    JobProfileFactory(tenant=world.tenant_a, available_from=tomorrow)
    OfferFactory(employer=world.employer_a, start_date=None)
    with time_machine.travel(today, tick=False):
        first = client_for(world.tenant_a.user).get(URL).json()["offers"][0]["score"]
    with time_machine.travel(today + datetime.timedelta(hours=13), tick=False):
        later = client_for(world.tenant_a.user).get(URL).json()["offers"][0]["score"]
    assert later > first


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens: the cache is down
        }
    }
)
def test_the_home_screen_answers_when_the_cache_is_down(world):
    JobProfileFactory(tenant=world.tenant_a)
    offer = OfferFactory(employer=world.employer_a)
    client = client_for(world.tenant_a.user)
    assert _offer_ids(client) == [str(offer.public_id)]
    assert _offer_ids(client) == [str(offer.public_id)]
