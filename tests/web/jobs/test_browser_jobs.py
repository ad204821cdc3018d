"""The jobs section in a real browser (Debian's Chromium), with its screenshots."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from services.core import clock
from services.jobs import actions
from services.jobs.models import Match, MatchTransition, Offer
from tests.factories import TenantFactory, UserFactory
from tests.factories.jobs import (
    JobProfileFactory,
    MatchFactory,
    OfferFactory,
    ensure_rome_reference,
)
from tests.web.browser import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _named_tenant(residence, first, last):
    return TenantFactory(
        residence=residence, user=UserFactory(role="tenant", first_name=first, last_name=last)
    )


def test_a_job_advisor_posts_an_offer_and_proposes_a_candidate(page, live_server, world, console):
    ensure_rome_reference()
    for title, status in (("Gardien d'immeuble", "published"), ("Jardinier", "draft")):
        OfferFactory(employer=world.employer_a, title=title, status=status)
    sign_in(page, live_server, console.advisor_a.user)

    page.goto("/console/jobs/offers/")
    assert page.get_by_role("heading", name="Offres d’emploi").is_visible()
    screenshot(page, "jobs-offers")

    page.get_by_role("link", name="Nouvelle offre").click()
    page.get_by_label("Employeur").select_option(label="Océan Propreté")
    page.get_by_label("Intitulé").fill("Agent d'entretien des parties communes")
    page.get_by_label("Métier ROME").press_sequentially("nettoyage indus", delay=30)
    choice = page.get_by_label("Agent / Agente de nettoyage industriel")
    choice.check()  # the list came from the ROME search, as you type
    page.get_by_label("Heures par semaine").fill("24")
    page.get_by_label("Salaire mensuel minimum (€)").fill("1900")
    page.get_by_label("Salaire mensuel maximum (€)").fill("1800")  # below the minimum
    page.get_by_role("button", name="Enregistrer et publier").click()
    # Refused beside the field, nothing typed lost, the chosen job kept.
    expect(page.locator("#id_salary_max_error")).to_be_visible()
    assert page.get_by_label("Intitulé").input_value() == "Agent d'entretien des parties communes"
    assert page.get_by_label("Agent / Agente de nettoyage industriel").is_checked()
    screenshot(page, "jobs-offer-form")
    page.get_by_label("Salaire mensuel maximum (€)").fill("2100")
    page.get_by_role("button", name="Enregistrer et publier").click()
    heading = page.get_by_role("heading", name="Agent d'entretien des parties communes")
    expect(heading).to_be_visible()
    offer = Offer.objects.get(title="Agent d'entretien des parties communes")
    assert offer.status == Offer.Status.PUBLISHED and offer.rome_code == "K2204"

    # Tenants of the landlord: one says she is interested, others are only candidates.
    awa = _named_tenant(world.residence_a, "Awa", "Diallo")
    JobProfileFactory(tenant=awa, skills=["Nettoyage"])
    actions.match_express_interest(user=awa.user, offer=offer)
    JobProfileFactory(tenant=world.tenant_a2)
    JobProfileFactory(tenant=_named_tenant(world.residence_a, "Yanis", "Moreau"), romes=("K2201",))

    page.get_by_role("link", name="Candidats").click()
    expect(page.locator("li.candidate")).to_have_count(3)
    assert page.get_by_text("Awa").count() == 0  # anonymised
    screenshot(page, "jobs-candidates")
    page.get_by_role("button", name="Proposer à l’employeur").click()
    expect(page.get_by_text("Proposé à l’employeur.")).to_be_visible()  # htmx swapped it
    match = Match.objects.get(offer=offer, tenant=awa)
    assert match.state == Match.State.PROPOSED

    page.get_by_role("link", name="Suivi des candidatures").first.click()
    page.get_by_role("link", name=re.compile("Proposée à l'employeur")).first.click()
    expect(page.get_by_role("link", name="Awa Diallo")).to_be_visible()
    screenshot(page, "jobs-pipeline")
    page.get_by_role("link", name="Awa Diallo").click()
    expect(page.locator("ol.jobs-history li")).to_have_count(2)
    screenshot(page, "jobs-match")


def test_job_stats_chart_and_its_table(page, live_server, world, console):
    offer = OfferFactory(employer=world.employer_a)
    now = clock.now()
    for n in range(14):
        tenant = TenantFactory(residence=world.residence_a)
        state = ("interested", "proposed", "employer_interested", "hired", "declined")[n % 5]
        match = MatchFactory(tenant=tenant, offer=offer, state=state)
        for week in range(n % 9):
            MatchTransition.objects.create(
                match=match,
                actor_kind="staff",
                from_state="interested",
                to_state=("interested", "proposed", "interview", "hired")[week % 4],
                at=now - timedelta(weeks=week, days=n % 3),
            )
    sign_in(page, live_server, console.admin_a.user)
    page.goto("/console/jobs/stats/")
    assert page.locator("svg rect").count() > 5
    table = page.get_by_role("table", name="Mises en relation ayant atteint chaque état")
    assert table.locator("tbody tr").count() == 12
    screenshot(page, "jobs-stats")


def test_staff_of_one_landlord_cannot_open_anothers_offer_by_url(page, live_server, world, console):
    offer = OfferFactory(employer=world.employer_a, title="Offre réservée au bailleur A")
    match = MatchFactory(tenant=world.tenant_a, offer=offer)
    sign_in(page, live_server, console.admin_b.user)
    for url in (
        f"/console/jobs/offers/{offer.public_id}/",
        f"/console/jobs/offers/{offer.public_id}/edit/",
        f"/console/jobs/offers/{offer.public_id}/candidates/",
        f"/console/jobs/matches/{match.public_id}/",
    ):
        response = page.goto(url)
        assert response.status == 404, url
        assert page.get_by_text("Offre réservée au bailleur A").count() == 0
    page.goto("/console/jobs/offers/")
    assert page.get_by_text("Offre réservée au bailleur A").count() == 0


UNLABELLED = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea')].filter(
    el => el.labels.length === 0 && !el.getAttribute('aria-label')).map(el => el.name)"""


def test_jobs_pages_are_labelled_titled_and_fit_a_phone(page, live_server, world, console):
    ensure_rome_reference()
    offer = OfferFactory(employer=world.employer_a, owner_landlord=world.landlord_a)
    JobProfileFactory(tenant=world.tenant_a2)
    match = MatchFactory(tenant=world.tenant_a, offer=offer)
    sign_in(page, live_server, console.advisor_a.user)
    page.set_viewport_size({"width": 360, "height": 740})
    for path in (
        "/console/jobs/offers/",
        "/console/jobs/offers/new/",
        f"/console/jobs/offers/{offer.public_id}/",
        f"/console/jobs/offers/{offer.public_id}/edit/",
        f"/console/jobs/offers/{offer.public_id}/candidates/",
        "/console/jobs/matches/",
        f"/console/jobs/matches/{match.public_id}/",
        "/console/jobs/employers/",
        "/console/jobs/employers/new/",
        f"/console/jobs/employers/{world.employer_a.public_id}/",
        "/console/jobs/stats/",
    ):
        response = page.goto(path)
        assert response.status == 200, path
        assert page.evaluate(UNLABELLED) == [], path
        assert page.locator("h1").count() == 1, path
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0, path
