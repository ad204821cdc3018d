"""Review of the home screen's cached ranking and its ETag: attacks that must not succeed."""

import pytest
from django.core.cache import cache

from tests.conftest import client_for
from tests.factories.jobs import JobProfileFactory, OfferFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/home/"


def _reasons(client, language: str) -> list[str]:
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, response.content
    return [reason["label"] for reason in response.json()["offers"][0]["reasons"]]


def test_the_reasons_are_in_the_readers_language_when_the_ranking_is_cached(world):
    # The reasons' sentences are rendered when the offers are ranked: a ranking kept for one
    # language must not answer another.
    JobProfileFactory(tenant=world.tenant_a, romes__experience={"K2204": 3})
    OfferFactory(employer=world.employer_a)
    client = client_for(world.tenant_a.user)
    english = _reasons(client, "en")
    cache.clear()
    french = _reasons(client, "fr")
    assert english != french  # the test means something: the sentences are translated
    assert _reasons(client, "en") == english


def test_an_empty_selection_has_the_version_of_no_rows(world):
    # A selector may answer `.none()` (a role it does not serve): its version is that of an
    # empty set, not an error of the whole home screen.
    from notifications.models import Notification
    from services.core import stamps

    nobody = Notification.objects.filter(recipient=world.tenant_a.user)
    versions = stamps.read(
        none=stamps.version(Notification.objects.none()), empty=stamps.version(nobody)
    )
    assert versions == {"none": "0/", "empty": "0/"}
