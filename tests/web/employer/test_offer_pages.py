"""My offers under /espace/offres/: the list (status, candidates), create with the ROME title
search, edit, publish, close; through the jobs actions the API uses, refused beside the field
when the values are absurd, and a 404 or a refusal for what a member may not touch."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from services.accounts.models import PartnerAccess
from services.jobs import selectors
from services.jobs.models import Match, Offer
from tests.factories import EmployerMemberFactory, LandlordFactory, ResidenceFactory, TenantFactory
from tests.factories.jobs import (
    JobProfileFactory,
    MatchFactory,
    OfferFactory,
    ensure_rome_reference,
)

from .conftest import signed_in

pytestmark = pytest.mark.django_db

NEW = "/espace/offres/nouvelle/"


@pytest.fixture(autouse=True)
def _rome_reference(db):
    ensure_rome_reference()  # the titles these forms pick (a transactional test may flush it)


def _page(offer) -> str:
    return f"/espace/offres/{offer.public_id}/"


def _status(offer) -> str:
    return f"/espace/offres/{offer.public_id}/statut/"


def _form(*landlords, **overrides) -> dict:
    data = {
        "title": "Vendeuse en boulangerie",
        "rome_search": "",
        "appellation": "10537",
        "rome_code": "",
        "target_landlords": [str(landlord.public_id) for landlord in landlords],
        "contract_type": "cdi",
        "description": "Vente et mise en rayon, le matin.",
        "hours_per_week": "30",
        "salary_min": "1800",
        "salary_max": "1950",
        "positions": "1",
        "start_date": "2027-01-04",
        "address": "12 rue du Palais",
        "postcode": "17000",
        "city": "La Rochelle",
        "latitude": "",
        "longitude": "",
        "required_skills": "Accueil, Caisse",
    }
    data.update(overrides)
    return data


# --------------------------------------------------------------------------- the list


def test_the_list_shows_each_offer_status_and_candidates(companies):
    OfferFactory(employer=companies.match_a.offer.employer, title="Pâtissier", status="draft")
    text = signed_in(companies.member_a).get("/espace/offres/").content.decode()
    assert "Vendeur en boulangerie" in text and "Pâtissier" in text
    assert "Agent de propreté" not in text  # company B's
    assert "1 candidat proposé" in text and "1 en attente de votre réponse" in text
    assert "0 candidat proposé" in text
    assert "Brouillon" in text and "Publiée" in text


def test_the_list_counts_only_the_candidates_this_member_sees(companies):
    """A candidate of a landlord that did not grant this member is not counted."""
    other = LandlordFactory(name="Grand Lyon Habitat")
    offer = companies.match_a.offer
    offer.employer.landlords.add(other)
    offer.target_landlords.add(other)
    tenant = TenantFactory(residence=ResidenceFactory(landlord=other))
    JobProfileFactory(tenant=tenant)
    MatchFactory(tenant=tenant, offer=offer, state=Match.State.PROPOSED)
    text = signed_in(companies.member_a).get("/espace/offres/").content.decode()
    assert "1 candidat proposé" in text and "2 candidats" not in text


def test_the_list_query_count_does_not_grow_with_rows(companies):
    client = signed_in(companies.member_a)
    employer = companies.match_a.offer.employer

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/espace/offres/").status_code == 200
        return len(queries)

    one = count()
    OfferFactory.create_batch(29, employer=employer)
    assert count() == one


# --------------------------------------------------------------------------- create


def test_create_a_draft_with_the_rome_title_for_a_granted_landlord(companies):
    client = signed_in(companies.member_a)
    page = client.get(NEW).content.decode()
    assert "Habitat Atlantique" in page  # the landlord that granted access, pre-ticked
    response = client.post(NEW, _form(companies.landlord, save="1"))
    assert response.status_code == 302
    offer = Offer.objects.get(title="Vendeuse en boulangerie")
    assert response["Location"] == _page(offer)
    assert offer.status == Offer.Status.DRAFT
    assert offer.employer == companies.match_a.offer.employer
    assert offer.owner_landlord is None and offer.created_by == companies.member_a
    assert (offer.rome_code, offer.appellation.code) == ("K2204", "10537")
    assert offer.salary_min_cents == 180_000 and offer.required_skills == ["Accueil", "Caisse"]
    assert list(offer.target_landlords.all()) == [companies.landlord]
    # The employer's coordinates, since none were typed.
    assert (offer.latitude, offer.longitude) == (46.155, -1.16)


def test_create_and_publish_shows_it_to_the_landlords_tenants(companies):
    client = signed_in(companies.member_a)
    response = client.post(NEW, _form(companies.landlord, publish="1"), follow=True)
    assert "L’offre est publiée." in response.content.decode()
    offer = Offer.objects.get(title="Vendeuse en boulangerie")
    assert offer.status == Offer.Status.PUBLISHED and offer.published_at is not None
    seen = selectors.offer_list_for_user(user=companies.tenant_a.user)
    assert offer in seen


def test_the_rome_search_fragment_lists_job_titles(companies):
    client = signed_in(companies.member_a)
    response = client.get("/espace/offres/metiers/", {"rome_search": "boulang"})
    assert response.status_code == 200
    assert 'name="appellation"' in response.content.decode()
    assert client.get("/espace/offres/metiers/", {"rome_search": "b"}).content.strip() == b""


def test_the_search_button_without_javascript_keeps_what_was_typed(companies):
    client = signed_in(companies.member_a)
    data = _form(companies.landlord, appellation="", rome_search="agent d'entretien")
    data["rome_lookup"] = "1"
    response = client.post(NEW, data)
    text = response.content.decode()
    assert response.status_code == 200
    assert 'name="appellation" value="' in text  # the results, as radio buttons
    assert "Vendeuse en boulangerie" in text and "Vente et mise en rayon" in text
    assert not Offer.objects.filter(title="Vendeuse en boulangerie").exists()


# --------------------------------------------------------------------------- absurd values


@pytest.mark.parametrize(
    ("field", "overrides", "message"),
    [
        ("salary_min", {"salary_min": "-1500"}, "supérieure ou égale à 0"),
        ("salary_max", {"salary_max": "999999999"}, "inférieure ou égale à 100000"),
        ("salary_max", {"salary_min": "2000", "salary_max": "1000"}, "salaire maximum"),
        ("rome_code", {"appellation": "", "rome_code": "Z9999"}, "Code ROME inconnu."),
        ("rome_code", {"appellation": "", "rome_code": "K2204K2204"}, "au plus 5 caractères"),
        ("appellation", {"appellation": "99999999"}, "Appellation ROME inconnue"),
        ("appellation", {"appellation": "", "rome_code": ""}, "Indiquez"),
        ("start_date", {"start_date": "9999-12-31"}, "Saisissez une date comprise entre"),
        ("hours_per_week", {"hours_per_week": "-3"}, "supérieure ou égale à 1"),
        ("positions", {"positions": "100000"}, "inférieure ou égale à 500"),
        ("latitude", {"latitude": "1e308"}, "inférieure ou égale à 90"),
    ],
)
def test_an_absurd_value_is_refused_beside_its_field_and_nothing_typed_is_lost(
    companies, field, overrides, message
):
    client = signed_in(companies.member_a)
    response = client.post(NEW, _form(companies.landlord, save="1", **overrides))
    text = response.content.decode()
    assert response.status_code == 200
    error = text.split('class="field-error"', 1)
    assert len(error) == 2, "no error beside a field"
    assert message in error[1].split("</p>", 1)[0]
    if field not in ("appellation",):
        assert f'id="id_{field}_error"' in text
    assert "Vendeuse en boulangerie" in text and "Vente et mise en rayon" in text
    assert not Offer.objects.filter(title="Vendeuse en boulangerie").exists()


# --------------------------------------------------------------------------- refusals


def test_a_landlord_that_did_not_grant_access_cannot_be_targeted(companies):
    other = LandlordFactory(name="Grand Lyon Habitat")
    companies.match_a.offer.employer.landlords.add(other)  # a partner, not granting member_a
    client = signed_in(companies.member_a)
    assert "Grand Lyon Habitat" not in client.get(NEW).content.decode()
    for targets in ([other], [companies.landlord, other]):
        response = client.post(NEW, _form(*targets, publish="1"))
        text = response.content.decode()
        assert response.status_code == 200
        assert 'id="id_target_landlords_error"' in text
        assert "Vendeuse en boulangerie" in text
    assert not Offer.objects.filter(title="Vendeuse en boulangerie").exists()


def test_a_member_no_landlord_granted_cannot_post_an_offer(companies):
    PartnerAccess.objects.filter(member__user=companies.member_a).delete()
    client = signed_in(companies.member_a)
    assert "Aucun bailleur ne vous a encore donné accès" in client.get(NEW).content.decode()
    response = client.post(NEW, _form(companies.landlord, publish="1"))
    assert 'id="id_target_landlords_error"' in response.content.decode()
    assert not Offer.objects.filter(title="Vendeuse en boulangerie").exists()


def test_a_member_of_company_a_cannot_open_edit_publish_or_close_company_bs_offer(companies):
    offer = companies.match_b.offer
    client = signed_in(companies.member_a)
    assert client.get(_page(offer)).status_code == 404
    assert client.post(_page(offer), _form(companies.landlord, title="Piraté")).status_code == 404
    assert client.post(_status(offer), {"status": "closed"}).status_code == 404
    offer.refresh_from_db()
    companies.match_b.refresh_from_db()
    assert (offer.title, offer.status) == ("Agent de propreté", Offer.Status.PUBLISHED)
    assert companies.match_b.state == Match.State.PROPOSED


@pytest.fixture
def shared(companies):
    """Company A's offer for its two partner landlords; member_a was granted the first only,
    and a tenant of the second is proposed on it."""
    other = LandlordFactory(name="Grand Lyon Habitat")
    offer = companies.match_a.offer
    offer.employer.landlords.add(other)
    offer.target_landlords.add(other)
    tenant = TenantFactory(residence=ResidenceFactory(landlord=other))
    JobProfileFactory(tenant=tenant)
    match = MatchFactory(tenant=tenant, offer=offer, state=Match.State.PROPOSED)
    return offer, other, match


def test_a_shared_offer_is_changed_only_by_a_member_every_landlord_granted(companies, shared):
    offer, other, other_match = shared
    client = signed_in(companies.member_a)
    page = client.get(_page(offer)).content.decode()
    assert "seul un collègue ayant accès à tous ses bailleurs" in page
    assert 'name="title"' not in page and 'value="closed"' not in page

    response = client.post(_page(offer), _form(companies.landlord, title="Changé", save="1"))
    assert response.status_code == 200
    refused = client.post(_status(offer), {"status": "closed"}, follow=True)
    assert "seul un collègue ayant accès à tous ses bailleurs" in refused.content.decode()
    offer.refresh_from_db()
    other_match.refresh_from_db()
    assert (offer.title, offer.status) == ("Vendeur en boulangerie", Offer.Status.PUBLISHED)
    assert other_match.state == Match.State.PROPOSED  # the other landlord's tenant untouched

    both = EmployerMemberFactory(employer=offer.employer, grants=[companies.landlord, other])
    assert signed_in(both.user).post(_status(offer), {"status": "closed"}).status_code == 302
    offer.refresh_from_db()
    other_match.refresh_from_db()
    assert offer.status == Offer.Status.CLOSED and other_match.state == Match.State.OBSOLETE


# --------------------------------------------------------------------------- edit, publish, close


def test_edit_keeps_the_rome_title_and_changes_what_was_typed(companies):
    offer = companies.match_a.offer
    client = signed_in(companies.member_a)
    page = client.get(_page(offer)).content.decode()
    assert 'value="Vendeur en boulangerie"' in page and "1 candidat proposé" in page
    response = client.post(
        _page(offer),
        _form(companies.landlord, title="Vendeur (matin)", appellation="", rome_code="D1106"),
    )
    assert response.status_code == 302, response.content.decode()
    offer.refresh_from_db()
    assert (offer.title, offer.rome_code, offer.salary_max_cents) == (
        "Vendeur (matin)",
        "D1106",
        195_000,
    )
    assert list(offer.target_landlords.all()) == [companies.landlord]
    companies.match_a.refresh_from_db()
    assert companies.match_a.state == Match.State.PROPOSED


def test_an_absurd_value_on_edit_changes_nothing(companies):
    offer = companies.match_a.offer
    client = signed_in(companies.member_a)
    response = client.post(_page(offer), _form(companies.landlord, salary_min="-1"))
    assert response.status_code == 200 and 'id="id_salary_min_error"' in response.content.decode()
    offer.refresh_from_db()
    assert offer.title == "Vendeur en boulangerie"


def test_publish_from_the_offer_page_then_close_it(companies):
    draft = OfferFactory(
        employer=companies.match_a.offer.employer, title="Pâtissier", status="draft"
    )
    client = signed_in(companies.member_a)
    response = client.post(_status(draft), {"status": "published", "back": "offer"})
    assert response["Location"] == _page(draft)
    draft.refresh_from_db()
    assert draft.status == Offer.Status.PUBLISHED
    client.post(_status(draft), {"status": "closed", "back": "offer"})
    draft.refresh_from_db()
    assert draft.status == Offer.Status.CLOSED
    page = client.get(_page(draft)).content.decode()
    assert "ne peut plus être modifiée" in page and 'name="title"' not in page
    stale = client.post(_page(draft), _form(companies.landlord, title="Rouverte"))
    assert stale.status_code == 200
    draft.refresh_from_db()
    assert draft.title == "Pâtissier"


def test_a_status_the_page_does_not_offer_is_refused(companies):
    offer = companies.match_a.offer
    client = signed_in(companies.member_a)
    response = client.post(_status(offer), {"status": "filled"}, follow=True)
    assert "Choisissez publier ou clore." in response.content.decode()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.PUBLISHED


# --------------------------------------------------------------------------- the candidate card


def test_the_candidate_page_shows_the_validated_volunteer_hours(companies):
    """Issue 13's card: the reasons and the validated volunteer hours (only attended slots)."""
    from services.volunteering.models import Signup
    from tests.factories.volunteering import SignupFactory, SlotFactory

    tenant = companies.tenant_a
    slot = SlotFactory(mission__landlord=companies.landlord)
    SignupFactory(slot=slot, tenant=tenant, status=Signup.Status.ATTENDED)
    SignupFactory(tenant=tenant, slot__mission__landlord=companies.landlord)  # not attended
    page = signed_in(companies.member_a).get(f"/espace/candidats/{companies.match_a.public_id}/")
    assert "Heures de bénévolat validées : 2" in page.content.decode()
