"""A member posts an offer from /espace/offres/: the ROME title search as you type, an absurd
salary refused beside its field with nothing typed lost, then saved and published; the list
shows it with its candidates. Screenshots in docs/screenshots/employer-offer*.png."""

import re

import pytest
from django.conf import settings

from services.jobs import selectors
from services.jobs.models import Offer
from tests.factories.jobs import ensure_rome_reference
from tests.web.browser import screenshot

from .conftest import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UNLABELLED = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea')].filter(
    el => el.labels.length === 0 && !el.getAttribute('aria-label')).map(el => el.name)"""


def _member_session(page, live_server, user) -> None:
    """The session a member gets by following the e-mail's link (tested on its own)."""
    client = signed_in(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def test_member_creates_and_publishes_an_offer_with_the_rome_search(page, live_server, companies):
    ensure_rome_reference()  # a transactional test before this one may have flushed it
    _member_session(page, live_server, companies.member_a)
    page.goto("/espace/offres/")
    assert page.get_by_text("1 candidat proposé").is_visible()
    page.get_by_role("link", name="Nouvelle offre").click()
    page.wait_for_url(re.compile(r".*/espace/offres/nouvelle/$"))
    page.wait_for_function("() => window.htmx !== undefined")
    page.get_by_label("Intitulé").fill("Vendeuse en boulangerie")
    page.get_by_label("Métier ROME").press_sequentially("vendeuse boulang", delay=40)
    title = page.get_by_label(re.compile(r"Vendeur / Vendeuse en boulangerie"))
    title.first.wait_for(timeout=30_000)  # the machine may be busy
    title.first.check()
    assert page.get_by_label("Habitat Atlantique").is_checked()  # the granted landlord
    page.get_by_label("Heures par semaine").fill("30")
    page.get_by_label("Salaire mensuel minimum (€)").fill("-1800")
    page.get_by_label("Compétences requises").fill("Accueil, Caisse")
    screenshot(page, "employer-offer-form")

    page.get_by_role("button", name="Enregistrer et publier").click()
    error = page.locator("#id_salary_min_error")
    assert error.is_visible() and "0" in error.inner_text()
    assert page.get_by_label("Intitulé").input_value() == "Vendeuse en boulangerie"
    assert page.get_by_label("Compétences requises").input_value() == "Accueil, Caisse"
    screenshot(page, "employer-offer-form-error")
    assert not Offer.objects.filter(title="Vendeuse en boulangerie").exists()

    page.get_by_label("Salaire mensuel minimum (€)").fill("1800")
    page.get_by_role("button", name="Enregistrer et publier").click()
    assert page.get_by_text("L’offre est publiée.").is_visible()
    assert page.get_by_role("heading", name="Vendeuse en boulangerie", level=1).is_visible()
    offer = Offer.objects.get(title="Vendeuse en boulangerie")
    assert offer.status == Offer.Status.PUBLISHED and offer.rome_code == "D1106"
    assert offer in selectors.offer_list_for_user(user=companies.tenant_a.user)
    screenshot(page, "employer-offer")

    page.get_by_role("link", name="Mes offres").first.click()
    assert page.get_by_role("link", name="Vendeuse en boulangerie", exact=True).is_visible()
    screenshot(page, "employer-offers")


@pytest.mark.parametrize("path", ["/espace/offres/", "/espace/offres/nouvelle/", "offer"])
def test_offer_pages_are_labelled_titled_and_fit_a_phone(page, live_server, companies, path):
    if path == "offer":
        path = f"/espace/offres/{companies.match_a.offer.public_id}/"
    _member_session(page, live_server, companies.member_a)
    page.set_viewport_size({"width": 360, "height": 740})
    response = page.goto(path)
    assert response.status == 200
    assert page.evaluate(UNLABELLED) == []
    assert page.locator("h1").count() == 1
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
