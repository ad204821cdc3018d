"""Console jobs pages: scoped to the staff's landlord, through the jobs actions, forms
that keep what was typed and show the domain's refusal beside the field."""

import re
from datetime import timedelta

import pytest
from django.core import mail

from services.core import clock
from services.jobs.models import Match, MatchTransition, Offer
from tests.factories import StaffFactory, TenantFactory
from tests.factories.accounts import EmployerFactory, valid_siret
from tests.factories.jobs import JobProfileFactory, MatchFactory, OfferFactory

pytestmark = pytest.mark.django_db


def _offer_form(employer, **overrides):
    data = {
        "employer": str(employer.public_id),
        "title": "Agent d'entretien des parties communes",
        "appellation": "",
        "rome_search": "",
        "rome_code": "K2204",
        "contract_type": "cdi",
        "description": "Entretien de trois résidences.",
        "hours_per_week": "24",
        "salary_min": "1800",
        "salary_max": "1900",
        "positions": "2",
        "start_date": "2027-01-04",
        "address": "3 avenue du Port",
        "postcode": "17000",
        "city": "La Rochelle",
        "latitude": "",
        "longitude": "",
        "required_skills": "Autonomie, Nettoyage",
    }
    data.update(overrides)
    return data


# --- Roles and scoping ---------------------------------------------------------------------


@pytest.mark.parametrize("who", ["tenant", "employer", "community"])
def test_other_roles_are_refused_every_jobs_page(world, console, web_client, who):
    offer = OfferFactory(employer=world.employer_a)
    user = {
        "tenant": world.tenant_a.user,
        "employer": world.employer_member.user,
        "community": console.community_a.user,
    }[who]
    client = web_client(user)
    for url in (
        "/console/jobs/",
        f"/console/jobs/offers/{offer.public_id}/",
        f"/console/jobs/offers/{offer.public_id}/candidates/",
        "/console/jobs/matches/",
        "/console/jobs/stats/",
        "/console/jobs/employers/",
    ):
        assert client.get(url).status_code == 403, url


def test_another_landlords_offer_and_match_are_404(world, console, web_client):
    offer = OfferFactory(employer=world.employer_a)
    match = MatchFactory(tenant=world.tenant_a, offer=offer)
    client = web_client(console.admin_b.user)
    assert client.get(f"/console/jobs/offers/{offer.public_id}/").status_code == 404
    assert client.get(f"/console/jobs/offers/{offer.public_id}/edit/").status_code == 404
    assert client.get(f"/console/jobs/offers/{offer.public_id}/candidates/").status_code == 404
    assert client.get(f"/console/jobs/matches/{match.public_id}/").status_code == 404
    assert client.post(f"/console/jobs/matches/{match.public_id}/propose/").status_code == 404
    match.refresh_from_db()
    assert match.state == Match.State.INTERESTED
    listing = client.get("/console/jobs/offers/").content.decode()
    assert offer.title not in listing


# --- Offers ----------------------------------------------------------------------------------


def test_offer_list_filters_by_status_and_words(world, console, web_client):
    OfferFactory(employer=world.employer_a, title="Jardinier", status=Offer.Status.DRAFT)
    OfferFactory(employer=world.employer_a, title="Gardien d'immeuble")
    other = EmployerFactory(landlords=[world.landlord_b])
    OfferFactory(employer=other, title="Plombier de Lyon")
    client = web_client(console.advisor_a.user)
    content = client.get("/console/jobs/offers/").content.decode()
    assert "Jardinier" in content and "Gardien" in content
    assert "Plombier" not in content
    drafts = client.get("/console/jobs/offers/?status=draft").content.decode()
    assert "Jardinier" in drafts and "Gardien" not in drafts
    words = client.get("/console/jobs/offers/?q=gardien").content.decode()
    assert "Gardien" in words and "Jardinier" not in words
    # An absurd filter value is a form error, not a 500.
    assert client.get("/console/jobs/offers/?status=zzz&employer=x").status_code == 200


def test_offer_list_paginates_with_the_filters_in_the_links(world, console, web_client):
    for n in range(30):
        OfferFactory(employer=world.employer_a, title=f"Agent {n}")
    content = web_client(console.admin_a.user).get("/console/jobs/offers/?q=agent").content
    assert b"Page 1 sur 2" in content
    assert b'href="?q=agent&amp;page=2"' in content


def test_offer_list_query_count_does_not_grow_with_rows(
    world, console, web_client, django_assert_max_num_queries
):
    client = web_client(console.admin_a.user)
    OfferFactory(employer=world.employer_a)
    client.get("/console/jobs/offers/")
    with django_assert_max_num_queries(12) as one:
        client.get("/console/jobs/offers/")
    for _ in range(24):
        OfferFactory(employer=EmployerFactory(landlords=[world.landlord_a]))
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get("/console/jobs/offers/").content.count(b"/console/jobs/offers/") > 25


def test_advisor_creates_and_publishes_an_offer(world, console, web_client):
    client = web_client(console.advisor_a.user)
    response = client.post(
        "/console/jobs/offers/new/",
        _offer_form(world.employer_a, rome_code="", appellation="10537", publish="1"),
    )
    offer = Offer.objects.get(title="Agent d'entretien des parties communes")
    assert response.status_code == 302
    assert response["Location"] == f"/console/jobs/offers/{offer.public_id}/"
    assert offer.status == Offer.Status.PUBLISHED
    assert offer.rome_code == "K2204" and offer.appellation.code == "10537"
    assert offer.salary_min_cents == 180000 and offer.required_skills == ["Autonomie", "Nettoyage"]
    assert offer.owner_landlord_id == world.landlord_a.pk
    assert list(offer.target_landlords.all()) == [world.landlord_a]
    page = client.get(response["Location"]).content.decode()
    assert "Agent d&#x27;entretien des parties communes" in page


def test_offer_form_shows_the_domains_error_and_keeps_what_was_typed(world, console, web_client):
    client = web_client(console.advisor_a.user)
    response = client.post(
        "/console/jobs/offers/new/", _offer_form(world.employer_a, rome_code="Z9999")
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "Code ROME inconnu." in content or "Unknown ROME code." in content
    assert re.search(r'id="id_rome_code_error"', content)
    assert 'value="Agent d&#x27;entretien des parties communes"' in content
    assert 'value="1800"' in content
    assert Offer.objects.count() == 0


def test_offer_salary_range_refused_beside_the_field(world, console, web_client):
    client = web_client(console.advisor_a.user)
    response = client.post(
        "/console/jobs/offers/new/",
        _offer_form(world.employer_a, salary_min="2500", salary_max="1800"),
    )
    assert response.status_code == 200
    assert b'id="id_salary_max_error"' in response.content
    assert Offer.objects.count() == 0


def test_offer_form_search_without_javascript_lists_rome_titles(world, console, web_client):
    client = web_client(console.advisor_a.user)
    response = client.post(
        "/console/jobs/offers/new/",
        _offer_form(world.employer_a, rome_search="nettoyage industriel", rome_lookup="1"),
    )
    assert response.status_code == 200
    assert b'name="appellation" value="10537"' in response.content
    assert Offer.objects.count() == 0  # searching does not save


def test_rome_search_as_you_type_answers_a_fragment(world, console, web_client):
    client = web_client(console.advisor_a.user)
    response = client.get("/console/jobs/rome/?rome_search=nettoyage+indus", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b"Agent / Agente de nettoyage industriel" in response.content
    assert client.get("/console/jobs/rome/?rome_search=x").content.strip() == b""


def test_owner_landlord_edits_and_closes_its_offer(world, console, web_client):
    offer = OfferFactory(employer=world.employer_a, owner_landlord=world.landlord_a)
    client = web_client(console.advisor_a.user)
    edit = client.get(f"/console/jobs/offers/{offer.public_id}/edit/").content.decode()
    assert 'value="Agent d&#x27;entretien"' in edit
    response = client.post(
        f"/console/jobs/offers/{offer.public_id}/edit/",
        _offer_form(world.employer_a, title="Agent d'entretien H/F", rome_code=""),
    )
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.title == "Agent d'entretien H/F" and offer.rome_code == "K2204"
    client.post(f"/console/jobs/offers/{offer.public_id}/status/", {"status": "closed"})
    offer.refresh_from_db()
    assert offer.status == Offer.Status.CLOSED


def test_shared_offer_not_owned_shows_the_domains_refusal_and_the_way_out(
    world, console, web_client
):
    """An offer another landlord (or the employer) owns: closing it is refused by the
    domain, whose words the page shows, with the one thing this landlord may do: leave."""
    world.employer_a.landlords.add(world.landlord_b)
    offer = OfferFactory(
        employer=world.employer_a,
        owner_landlord=world.landlord_b,
        targets=[world.landlord_a, world.landlord_b],
    )
    mine = MatchFactory(tenant=world.tenant_a, offer=offer)
    theirs = MatchFactory(tenant=world.tenant_b, offer=offer)
    client = web_client(console.advisor_a.user)
    page = client.get(f"/console/jobs/offers/{offer.public_id}/").content.decode()
    assert "/untarget/" in page and "/edit/" not in page
    response = client.post(f"/console/jobs/offers/{offer.public_id}/status/", {"status": "closed"})
    assert response.status_code == 200
    assert b"form-errors" in response.content
    offer.refresh_from_db()
    assert offer.status == Offer.Status.PUBLISHED
    response = client.post(f"/console/jobs/offers/{offer.public_id}/untarget/")
    assert response.status_code == 302
    assert list(offer.target_landlords.all()) == [world.landlord_b]
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.state == Match.State.OBSOLETE
    assert theirs.state == Match.State.INTERESTED


# --- Candidates and proposals -----------------------------------------------------------


def test_candidates_are_ranked_anonymised_with_reasons(world, console, web_client):
    offer = OfferFactory(employer=world.employer_a, required_skills=["Nettoyage"])
    best = JobProfileFactory(tenant=world.tenant_a, skills=["Nettoyage"])
    next_best = JobProfileFactory(tenant=world.tenant_a2, romes=("K2201",))
    JobProfileFactory(tenant=world.tenant_b)  # another landlord's tenant
    content = (
        web_client(console.advisor_a.user)
        .get(f"/console/jobs/offers/{offer.public_id}/candidates/")
        .content.decode()
    )
    assert content.count('class="candidate"') == 2
    assert content.index(str(best.public_id)[:8]) < content.index(str(next_best.public_id)[:8])
    for tenant in (world.tenant_a, world.tenant_a2):
        assert tenant.user.email not in content
        assert f"{tenant.user.first_name} {tenant.user.last_name}" not in content
    assert "1 compétence en commun" in content or "skill" in content
    assert "Suggérer l'offre" in content


def test_propose_in_one_click_with_htmx(world, console, web_client):
    offer = OfferFactory(employer=world.employer_a)
    JobProfileFactory(tenant=world.tenant_a)
    match = MatchFactory(tenant=world.tenant_a, offer=offer, state=Match.State.INTERESTED)
    client = web_client(console.advisor_a.user)
    page = client.get(f"/console/jobs/offers/{offer.public_id}/candidates/").content.decode()
    assert f"/console/jobs/matches/{match.public_id}/propose/" in page
    response = client.post(
        f"/console/jobs/matches/{match.public_id}/propose/", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert b"<html" not in response.content and b"candidate-action" in response.content
    match.refresh_from_db()
    assert match.state == Match.State.PROPOSED
    assert match.transitions.filter(to_state="proposed", actor_kind="staff").exists()
    # Twice: the domain says the match moved on; nothing else changes.
    again = client.post(f"/console/jobs/matches/{match.public_id}/propose/", HTTP_HX_REQUEST="true")
    assert again.status_code == 200 and b"field-error" in again.content


def test_propose_without_javascript_goes_back_to_the_page(world, console, web_client):
    offer = OfferFactory(employer=world.employer_a)
    JobProfileFactory(tenant=world.tenant_a)
    match = MatchFactory(tenant=world.tenant_a, offer=offer)
    back = f"/console/jobs/offers/{offer.public_id}/candidates/"
    response = web_client(console.admin_a.user).post(
        f"/console/jobs/matches/{match.public_id}/propose/", {"next": back}
    )
    assert response.status_code == 302 and response["Location"] == back
    evil = web_client(console.admin_a.user).post(
        f"/console/jobs/matches/{match.public_id}/propose/", {"next": "https://evil.example/"}
    )
    assert evil["Location"].startswith("/console/jobs/matches/")
    # A bare word or a view name passes the host check: it must not reach redirect()'s lookup.
    for bare in ("abc", "9999-12-31", "admin:index"):
        odd = web_client(console.admin_a.user).post(
            f"/console/jobs/matches/{match.public_id}/propose/", {"next": bare}
        )
        assert odd.status_code == 302
        assert odd["Location"].startswith("/console/jobs/matches/")


def test_suggest_the_offer_to_a_candidate(world, console, web_client):
    offer = OfferFactory(employer=world.employer_a)
    profile = JobProfileFactory(tenant=world.tenant_a)
    response = web_client(console.advisor_a.user).post(
        f"/console/jobs/offers/{offer.public_id}/candidates/{profile.public_id}/suggest/",
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert Match.objects.get(offer=offer, tenant=world.tenant_a).state == Match.State.SUGGESTED


def test_landlord_b_cannot_suggest_to_landlord_a_candidates(world, console, web_client):
    world.employer_a.landlords.add(world.landlord_b)
    offer = OfferFactory(employer=world.employer_a, targets=[world.landlord_a, world.landlord_b])
    profile = JobProfileFactory(tenant=world.tenant_a)
    web_client(console.admin_b.user).post(
        f"/console/jobs/offers/{offer.public_id}/candidates/{profile.public_id}/suggest/"
    )
    assert not Match.objects.filter(offer=offer).exists()


# --- Pipeline, history, stats -----------------------------------------------------------


def test_pipeline_filters_by_state_and_offer(world, console, web_client):
    offer = OfferFactory(employer=world.employer_a, title="Gardien")
    other = OfferFactory(employer=world.employer_a, title="Jardinier")
    MatchFactory(tenant=world.tenant_a, offer=offer, state=Match.State.PROPOSED)
    MatchFactory(tenant=world.tenant_a2, offer=other, state=Match.State.INTERESTED)
    MatchFactory(
        tenant=world.tenant_b,
        offer=OfferFactory(
            employer=EmployerFactory(landlords=[world.landlord_b]), title="Lyonnais"
        ),
    )
    client = web_client(console.advisor_a.user)
    everything = client.get("/console/jobs/matches/").content.decode()
    assert "Gardien" in everything and "Jardinier" in everything and "Lyonnais" not in everything
    proposed = client.get("/console/jobs/matches/?state=proposed").content.decode()
    assert "Gardien" in proposed and "Jardinier" not in proposed.split("<table")[-1]
    by_offer = client.get(f"/console/jobs/matches/?offer={other.public_id}").content.decode()
    assert "Jardinier" in by_offer.split("<table")[-1]
    assert "Gardien" not in by_offer.split("<table")[-1]
    assert client.get("/console/jobs/matches/?state=zzz&offer=nope").status_code == 200


def test_pipeline_query_count_does_not_grow_with_rows(
    world, console, web_client, django_assert_max_num_queries
):
    client = web_client(console.admin_a.user)
    offer = OfferFactory(employer=world.employer_a)
    MatchFactory(tenant=world.tenant_a, offer=offer)
    client.get("/console/jobs/matches/")
    with django_assert_max_num_queries(12) as one:
        client.get("/console/jobs/matches/")
    for _ in range(24):
        MatchFactory(tenant=TenantFactory(residence=world.residence_a), offer=offer)
    with django_assert_max_num_queries(len(one.captured_queries)):
        content = client.get("/console/jobs/matches/").content
    assert content.count(b"/console/jobs/matches/") >= 25


def test_pipeline_paginates(world, console, web_client):
    offer = OfferFactory(employer=world.employer_a)
    for _ in range(30):
        MatchFactory(tenant=TenantFactory(residence=world.residence_a), offer=offer)
    content = web_client(console.admin_a.user).get("/console/jobs/matches/?state=interested")
    assert b'href="?state=interested&amp;page=2"' in content.content


def test_match_history_lists_each_step(world, console, web_client):
    offer = OfferFactory(employer=world.employer_a)
    JobProfileFactory(tenant=world.tenant_a)
    match = MatchFactory(tenant=world.tenant_a, offer=offer)
    client = web_client(console.advisor_a.user)
    client.post(f"/console/jobs/matches/{match.public_id}/propose/")
    content = client.get(f"/console/jobs/matches/{match.public_id}/").content.decode()
    assert content.count("<li>", content.index("jobs-history")) == 2
    assert "Proposé" in content or "Proposed to the employer" in content


def test_stats_numbers_and_weekly_chart_readable_as_a_table(world, console, web_client):
    offer = OfferFactory(employer=world.employer_a)
    match = MatchFactory(tenant=world.tenant_a, offer=offer, state=Match.State.HIRED)
    MatchTransition.objects.create(
        match=match,
        actor_kind="staff",
        from_state="interested",
        to_state="proposed",
        at=clock.now() - timedelta(weeks=3),
    )
    MatchTransition.objects.create(
        match=match,
        actor_kind="staff",
        from_state="proposed",
        to_state="proposed",
        at=clock.now() - timedelta(weeks=20),  # older than the chart
    )
    MatchFactory(
        tenant=world.tenant_b,
        offer=OfferFactory(employer=EmployerFactory(landlords=[world.landlord_b])),
        state=Match.State.HIRED,
    )
    response = web_client(console.admin_a.user).get("/console/jobs/stats/")
    content = response.content.decode()
    assert "<svg" in content and "<rect" in content
    table = content[content.index("jobs-weekly") :]
    rows = re.findall(r"<tr>\s*<th scope=\"row\">.*?</tr>", table, re.S)[:12]
    assert len(rows) == 12
    totals = [int(re.findall(r'<td class="number">(\d+)</td>', row)[-1]) for row in rows]
    assert sum(totals) == 2  # this landlord's hire this week, the proposal 3 weeks ago
    assert totals[-1] == 1 and totals[-4] == 1


# --- Employers ------------------------------------------------------------------------------


def test_employer_list_is_the_landlords_partners(world, console, web_client):
    EmployerFactory(name="Lyon Services", landlords=[world.landlord_b])
    content = web_client(console.advisor_a.user).get("/console/jobs/employers/").content
    assert b"Oc\xc3\xa9an Propret\xc3\xa9" in content and b"Lyon Services" not in content


def test_employer_create_and_its_siret_refusal(world, console, web_client):
    client = web_client(console.advisor_a.user)
    siret = valid_siret(4242)
    response = client.post(
        "/console/jobs/employers/new/",
        {"name": "Atlantique Nettoyage", "siret": siret, "city": "La Rochelle"},
    )
    assert response.status_code == 302
    again = client.post(
        "/console/jobs/employers/new/",
        {"name": "Atlantique Bis", "siret": siret, "city": "Rochefort"},
    )
    assert again.status_code == 200
    assert b'id="id_siret_error"' in again.content
    assert b'value="Atlantique Bis"' in again.content


def test_invitation_is_emailed_and_no_code_is_shown(
    world, console, web_client, django_capture_on_commit_callbacks
):
    """Staff no longer pass a code on: the invitation goes by e-mail (issue 13)."""
    client = web_client(console.advisor_a.user)
    url = f"/console/jobs/employers/{world.employer_a.public_id}/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url + "invite/", {"email": "nouveau@example.org"})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "invitation-code" not in page
    assert "nouveau@example.org" in page
    assert [m.to for m in mail.outbox] == [["nouveau@example.org"]]
    assert world.employer_a.invitations.get().email == "nouveau@example.org"


def test_community_staff_elsewhere_cannot_invite(world, console, web_client):
    other = StaffFactory(landlord=world.landlord_b)
    response = web_client(other.user).post(
        f"/console/jobs/employers/{world.employer_a.public_id}/invite/"
    )
    assert response.status_code == 404
    assert world.employer_a.invitations.count() == 0


def test_an_absurd_status_is_a_400_on_the_offer_page(world, console, web_client):
    offer = OfferFactory(employer=world.employer_a, owner_landlord=world.landlord_a)
    client = web_client(console.advisor_a.user)
    for data in ({}, {"status": "sold"}):
        response = client.post(f"/console/jobs/offers/{offer.public_id}/status/", data)
        assert response.status_code == 400
        assert b"form-errors" in response.content
    # A step the domain does not allow (published -> draft) is its refusal, on the page.
    response = client.post(f"/console/jobs/offers/{offer.public_id}/status/", {"status": "draft"})
    assert response.status_code == 200 and b"form-errors" in response.content
    offer.refresh_from_db()
    assert offer.status == Offer.Status.PUBLISHED
