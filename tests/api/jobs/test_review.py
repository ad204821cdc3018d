"""Problems found in review: leaks, bad input, edits of closed offers, consent withdrawal."""

import pytest

from notifications.models import Notification
from services.accounts.models import PartnerAccess
from services.core import clock
from services.jobs import actions
from services.jobs.models import Match, MatchTransition, Offer
from services.jobs.policies import candidate_pseudonym
from tests.conftest import client_for
from tests.factories.jobs import JobProfileFactory, MatchFactory, OfferFactory

pytestmark = pytest.mark.django_db


def _offer_url(offer, what=""):
    return f"/api/v1/jobs/offers/{offer.public_id}/{what + '/' if what else ''}"


def _match_url(match, what=""):
    return f"/api/v1/jobs/matches/{match.public_id}/{what + '/' if what else ''}"


# --- Leaks -------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["suggested", "not_interested", "interested", "withdrawn"])
def test_candidate_cards_do_not_tell_the_employer_about_unproposed_matches(world, state):
    offer = OfferFactory(employer=world.employer_a)
    JobProfileFactory(tenant=world.tenant_a)
    match = MatchFactory(tenant=world.tenant_a, offer=offer, state=state, proposed_at=None)
    employer = client_for(world.employer_member.user).get(_offer_url(offer, "candidates"))
    [card] = employer.json()["results"]
    assert card["match"] is None
    assert str(match.public_id) not in employer.content.decode()
    # Job staff of the tenant's landlord do see it: it is their pipeline.
    staff = client_for(world.staff_a.user).get(_offer_url(offer, "candidates"))
    [card] = staff.json()["results"]
    assert card["match"] == {"id": str(match.public_id), "state": state}


def test_candidate_cards_show_the_employer_a_match_proposed_to_it(world):
    offer = OfferFactory(employer=world.employer_a)
    JobProfileFactory(tenant=world.tenant_a)
    match = MatchFactory(tenant=world.tenant_a, offer=offer, state=Match.State.PROPOSED)
    employer = client_for(world.employer_member.user).get(_offer_url(offer, "candidates"))
    [card] = employer.json()["results"]
    assert card["match"] == {"id": str(match.public_id), "state": "proposed"}


# --- Consent withdrawal stops the use at once --------------------------------------------


def test_staff_cannot_propose_a_tenant_who_withdrew_the_introduction_consent(world):
    JobProfileFactory(tenant=world.tenant_a)
    match = MatchFactory(
        tenant=world.tenant_a,
        offer=OfferFactory(employer=world.employer_a),
        state=Match.State.INTERESTED,
    )
    actions.consent_set(tenant=world.tenant_a, purpose="introduction", granted=False)
    response = client_for(world.staff_a.user).post(
        _match_url(match, "propose"), {"expected_state": "interested"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "introduction_consent_withdrawn"
    match.refresh_from_db()
    assert (match.state, match.proposed_at) == (Match.State.INTERESTED, None)
    assert MatchTransition.objects.filter(match=match, to_state="proposed").count() == 0
    assert not Notification.objects.filter(kind="jobs.match_proposed").exists()
    assert client_for(world.employer_member.user).get(_match_url(match)).status_code == 404


# --- Closed and filled offers ------------------------------------------------------------


@pytest.mark.parametrize("status", [Offer.Status.CLOSED, Offer.Status.FILLED])
def test_a_closed_or_filled_offer_cannot_be_edited(world, status):
    offer = OfferFactory(employer=world.employer_a, status=status)
    client = client_for(world.employer_member.user)
    response = client.patch(_offer_url(offer), {"title": "Autre", "positions": 3}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "offer_not_editable"
    assert body["message"] == "Une offre pourvue ou clôturée ne peut plus être modifiée."
    assert set(body["fields"]) == {"title", "positions"}
    offer.refresh_from_db()
    assert (offer.title, offer.positions, offer.status) == ("Agent d'entretien", 1, status)
    # Sending its current values back (a client resubmitting the form) is harmless.
    same = client.patch(_offer_url(offer), {"title": "Agent d'entretien"}, format="json")
    assert same.status_code == 200
    # Reopening is still the status machine's refusal.
    reopen = client.patch(_offer_url(offer), {"status": "published"}, format="json")
    assert (reopen.status_code, reopen.json()["code"]) == (409, "invalid_offer_status")


def test_staff_retargeting_keeps_the_other_landlords_the_employer_chose(world):
    """The owner landlord's staff (un)target their own landlord only."""
    world.employer_a.landlords.add(world.landlord_b)
    offer = OfferFactory(
        employer=world.employer_a,
        owner_landlord=world.landlord_a,
        targets=[world.landlord_a, world.landlord_b],
    )
    response = client_for(world.staff_a.user).patch(
        _offer_url(offer), {"target_landlords": []}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["target_landlords"] == [str(world.landlord_b.public_id)]
    assert list(offer.target_landlords.all()) == [world.landlord_b]
    # Landlord B is targeted but does not own it: it may not edit it (only leave it).
    again = client_for(world.staff_b.user).patch(
        _offer_url(offer), {"target_landlords": [str(world.landlord_b.public_id)]}, format="json"
    )
    assert (again.status_code, again.json()["code"]) == (403, "offer_not_owner")
    assert list(offer.target_landlords.all()) == [world.landlord_b]


# --- Bad input is a 4xx ------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/jobs/offers/", "/api/v1/jobs/matches/"])
@pytest.mark.parametrize("value", ["2024-13-45T00:00:00", "2024-02-30T10:00:00Z", "yesterday"])
def test_an_impossible_updated_since_is_a_400(world, url, value):
    response = client_for(world.staff_a.user).get(url, {"updated_since": value})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_updated_since"


def test_an_employer_cannot_link_a_candidate_across_offers(world):
    """Each offer names a candidate differently to the employer (distance bands of several
    offers cannot be combined, a name once revealed cannot be recognised elsewhere); job
    staff keep the profile's id."""
    profile = JobProfileFactory(tenant=world.tenant_a)
    first, second = OfferFactory(employer=world.employer_a), OfferFactory(employer=world.employer_a)
    employer = client_for(world.employer_member.user)
    [card1] = employer.get(_offer_url(first, "candidates")).json()["results"]
    [card2] = employer.get(_offer_url(second, "candidates")).json()["results"]
    assert len({card1["id"], card2["id"], str(profile.public_id)}) == 3
    # The match proposed on the first offer names the candidate as that offer's card does.
    match = MatchFactory(tenant=world.tenant_a, offer=first, state=Match.State.PROPOSED)
    assert employer.get(_match_url(match)).json()["candidate"]["id"] == card1["id"]
    staff = client_for(world.staff_a.user)
    [staff_card] = staff.get(_offer_url(first, "candidates")).json()["results"]
    assert staff_card["id"] == str(profile.public_id)
    assert staff.get(_match_url(match)).json()["candidate"]["id"] == str(profile.public_id)


def test_the_employer_reads_the_history_from_the_proposal_without_others_notes(world):
    JobProfileFactory(tenant=world.tenant_a)
    offer = OfferFactory(employer=world.employer_a)
    match = MatchFactory(tenant=world.tenant_a, offer=offer, state=Match.State.SUGGESTED)
    tenant = client_for(world.tenant_a.user)
    tenant.post(_match_url(match, "transition"), {"to": "not_interested"}, format="json")
    r = tenant.post(_match_url(match, "transition"), {"to": "interested"}, format="json")
    assert r.json()["state"] == "interested", r.json()
    staff = client_for(world.staff_a.user)
    staff.post(_match_url(match, "propose"), {"note": "Très motivée"}, format="json")
    other = MatchFactory(
        tenant=world.tenant_a,
        offer=OfferFactory(employer=world.employer_a),
        state=Match.State.INTERVIEW,
    )
    hired = staff.post(
        _match_url(other, "transition"),
        {"to": "hired", "hire_start_date": "2026-12-01"},
        format="json",
    )
    assert hired.json()["state"] == "hired", hired.json()
    employer = client_for(world.employer_member.user).get(_match_url(match)).json()
    assert [(t["from_state"], t["to_state"], t["note"]) for t in employer["transitions"]] == [
        ("interested", "proposed", "Très motivée"),
        ("proposed", "obsolete", ""),
    ]
    # Job staff read the whole history, notes included.
    full = staff.get(_match_url(match)).json()["transitions"]
    assert [t["to_state"] for t in full] == [
        "suggested",
        "not_interested",
        "interested",
        "proposed",
        "obsolete",
    ]
    assert full[-1]["note"] == "tenant hired"


@pytest.mark.parametrize(
    ("who", "url", "param"),
    [
        ("tenant_a", "/api/v1/jobs/offers/", "contract"),
        ("tenant_a", "/api/v1/jobs/offers/", "rome"),
        ("staff_a", "/api/v1/jobs/offers/", "status"),
        ("employer", "/api/v1/jobs/offers/", "status"),
        ("staff_a", "/api/v1/jobs/matches/", "state"),
        ("tenant_a", "/api/v1/jobs/matches/", "state"),
    ],
)
@pytest.mark.parametrize("value", ["bogus\x00", "no-pe"])
def test_an_unknown_list_filter_is_a_400(world, who, url, param, value):
    """A NUL character reached PostgreSQL and was a 500; any unknown value is now a 400."""
    JobProfileFactory(tenant=world.tenant_a)
    response = client_for(world.users()[who]).get(url, {param: value})
    assert response.status_code == 400, response.content
    body = response.json()
    assert (body["code"], list(body["fields"])) == ("invalid_filter", [param])


def test_a_nul_character_in_the_rome_search_is_ignored(world):
    response = client_for(world.tenant_a.user).get("/api/v1/jobs/rome/", {"q": "K2204\x00"})
    assert response.status_code == 200
    assert response.json()[0]["code"] == "K2204"


def test_a_matchs_reasons_are_read_in_each_readers_language(world):
    """The tenant applies in English; the employer and staff read the reasons in French."""
    JobProfileFactory(tenant=world.tenant_a, skills=["Vitrerie"], romes__experience={"K2204": 2})
    offer = OfferFactory(employer=world.employer_a, required_skills=["Vitrerie"])
    tenant = client_for(world.tenant_a.user)
    created = tenant.post(_offer_url(offer, "interest"), HTTP_ACCEPT_LANGUAGE="en")
    assert created.status_code == 201, created.json()
    english = {r["code"]: r["label"] for r in created.json()["reasons"]}
    assert english["skills"] == "1 skill in common"
    assert english["contract"] == "Permanent contract (CDI) 24 h/week"
    match = Match.objects.get()
    staff = client_for(world.staff_a.user)
    staff.post(_match_url(match, "propose"), {}, format="json")
    for user in (world.employer_member.user, world.staff_a.user):
        body = client_for(user).get(_match_url(match), HTTP_ACCEPT_LANGUAGE="fr").json()
        french = {r["code"]: r["label"] for r in body["reasons"]}
        assert french["skills"] == "1 compétence en commun"
        assert french["experience"] == "Expérience dans ce métier"
        assert french["contract"] == "CDI 24 h/semaine"
        assert set(body["reasons"][0]) == {"code", "label"}


def test_moving_an_offer_renames_its_candidates_for_the_employer(world):
    """Otherwise an employer could move its offer around and follow one candidate's
    distance band until it finds where the tenant lives."""
    JobProfileFactory(tenant=world.tenant_a)
    offer = OfferFactory(employer=world.employer_a)
    employer = client_for(world.employer_member.user)
    [before] = employer.get(_offer_url(offer, "candidates")).json()["results"]
    moved = employer.patch(_offer_url(offer), {"latitude": 46.16}, format="json")
    assert moved.status_code == 200, moved.json()
    [after] = employer.get(_offer_url(offer, "candidates")).json()["results"]
    assert before["id"] != after["id"]


def test_interest_in_an_offer_closed_meanwhile_is_refused(world):
    """The view loaded the offer while it was published; it was closed before the action
    ran. The action reads it again under lock instead of trusting the loaded copy."""
    JobProfileFactory(tenant=world.tenant_a)
    offer = OfferFactory(employer=world.employer_a)
    loaded = Offer.objects.get(pk=offer.pk)
    actions.offer_update(actor=world.employer_member.user, offer=offer, data={"status": "closed"})
    with pytest.raises(actions.OfferNotOpen):
        actions.match_express_interest(user=world.tenant_a.user, offer=loaded)
    assert not Match.objects.exists()


def test_community_staff_get_no_job_statistics(world):
    """They do not handle jobs; counting with no landlord counted every untargeted offer."""
    from tests.factories import StaffFactory

    OfferFactory(employer=world.employer_a, targets=[])
    community = StaffFactory(landlord=world.landlord_a, role="community")
    response = client_for(community.user).get("/api/v1/jobs/stats/")
    assert (response.status_code, response.json()["code"]) == (403, "not_job_staff")
    assert client_for(world.staff_a.user).get("/api/v1/jobs/stats/").json()["published_offers"] == 0


def test_an_ended_partnership_stops_sharing_that_landlords_candidates(world):
    world.employer_a.landlords.add(world.landlord_b)
    PartnerAccess.objects.create(
        member=world.employer_member, landlord=world.landlord_b, granted_at=clock.now()
    )
    offer = OfferFactory(employer=world.employer_a, targets=[world.landlord_a, world.landlord_b])
    a = JobProfileFactory(tenant=world.tenant_a)
    b = JobProfileFactory(tenant=world.tenant_b)
    b.latitude, b.longitude = 46.156, -1.161
    b.save()
    actions.profile_rows_sync(profile=b)
    employer = client_for(world.employer_member.user)
    assert len(employer.get(_offer_url(offer, "candidates")).json()["results"]) == 2
    world.employer_a.landlords.remove(world.landlord_b)
    [card] = employer.get(_offer_url(offer, "candidates")).json()["results"]
    assert card["id"] == str(candidate_pseudonym(profile=a, offer=offer, side="employer"))
    staff_b = client_for(world.staff_b.user).get(_offer_url(offer, "candidates"))
    assert len(staff_b.json()["results"]) == 1  # the landlord's own staff still see theirs
