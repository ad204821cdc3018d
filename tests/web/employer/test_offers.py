"""My offers: the company's offers for the member's landlords; publish and close."""

import pytest

from services.accounts.models import PartnerAccess
from services.jobs.models import Match, Offer
from tests.factories.jobs import OfferFactory

from .conftest import signed_in

pytestmark = pytest.mark.django_db


def _status_url(offer):
    return f"/espace/offres/{offer.public_id}/statut/"


def test_my_offers_lists_my_company_only(companies):
    text = signed_in(companies.member_a).get("/espace/offres/").content.decode()
    assert "Vendeur en boulangerie" in text
    assert "Agent de propreté" not in text


def test_publish_a_draft_then_close_it_makes_open_matches_obsolete(companies):
    draft = OfferFactory(
        employer=companies.match_a.offer.employer, title="Pâtissier", status=Offer.Status.DRAFT
    )
    client = signed_in(companies.member_a)
    assert client.post(_status_url(draft), {"status": "published"}).status_code == 302
    draft.refresh_from_db()
    assert draft.status == Offer.Status.PUBLISHED and draft.published_at is not None

    offer = companies.match_a.offer
    response = client.post(_status_url(offer), {"status": "closed"}, follow=True)
    assert "L’offre est close." in response.content.decode()
    offer.refresh_from_db()
    companies.match_a.refresh_from_db()
    assert offer.status == Offer.Status.CLOSED
    assert companies.match_a.state == Match.State.OBSOLETE


def test_a_refused_step_is_a_message_not_a_500(companies):
    offer = companies.match_a.offer
    client = signed_in(companies.member_a)
    client.post(_status_url(offer), {"status": "closed"})
    response = client.post(_status_url(offer), {"status": "published"}, follow=True)
    assert response.status_code == 200
    assert "ne peut pas passer à ce statut maintenant" in response.content.decode()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.CLOSED
    assert client.post(_status_url(offer), {"status": "filled"}).status_code == 302


def test_another_companys_offer_is_404(companies):
    offer = companies.match_b.offer
    client = signed_in(companies.member_a)
    assert client.post(_status_url(offer), {"status": "closed"}).status_code == 404
    offer.refresh_from_db()
    assert offer.status == Offer.Status.PUBLISHED


def test_an_offer_of_a_landlord_that_did_not_grant_access_is_404(companies):
    PartnerAccess.objects.filter(member__user=companies.member_a).delete()
    offer = companies.match_a.offer
    client = signed_in(companies.member_a)
    assert "Vendeur en boulangerie" not in client.get("/espace/offres/").content.decode()
    assert client.post(_status_url(offer), {"status": "closed"}).status_code == 404
    offer.refresh_from_db()
    assert offer.status != Offer.Status.CLOSED
