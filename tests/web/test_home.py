"""The console home: what waits for each role today, counted by the areas' selectors
(`busy_day` in tests/web/conftest.py)."""

import pytest
from django.utils import translation

pytestmark = pytest.mark.django_db


def _tiles(client) -> dict:
    tiles = client.get("/console/").context["tiles"]
    with translation.override("fr"):
        return {str(t["label"]): t["count"] for t in tiles}


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
