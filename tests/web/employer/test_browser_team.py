"""Staff invite someone by e-mail from the console; the invitee opens the e-mail's link,
accepts (name, password) and lands on "Mes candidats"; then the team, company and password
pages. Screenshots in docs/screenshots/employer-{invitation,team,company,password}*.png."""

import re
import urllib.request

import pytest
from django.conf import settings
from django.core import mail

from services.accounts.models import EmployerInvitation
from tests.web.browser import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UNLABELLED = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea')].filter(
    el => el.labels.length === 0 && !el.getAttribute('aria-label')).map(el => el.name)"""


def _fits_a_phone(page) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate(UNLABELLED) == []
    assert page.locator("h1").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.set_viewport_size({"width": 1280, "height": 800})


def test_staff_invite_by_email_and_the_invitee_accepts(page, live_server, companies):
    company_a = companies.member_a.employer_member.employer
    sign_in(page, live_server, companies.staff)
    page.goto(f"{live_server.url}/console/jobs/employers/{company_a.public_id}/")
    page.get_by_label("Adresse e-mail de la personne à inviter").fill("lea@dupain.example")
    screenshot(page, "employer-invitation-console")
    page.get_by_role("button", name="Envoyer l’invitation").click()
    assert page.get_by_text("Invitation envoyée à lea@dupain.example.").is_visible()
    assert [m.to for m in mail.outbox] == [["lea@dupain.example"]]
    body = mail.outbox[0].body
    assert "Habitat Atlantique" in mail.outbox[0].subject
    link = re.search(r"http://\S+/espace/invitation/\S+/", body).group(0)
    link = link.replace(settings.SITE_URL, live_server.url)

    # A mail scanner opens the link first: a page, nothing accepted.
    with urllib.request.urlopen(link) as answer:
        assert answer.status == 200
    assert EmployerInvitation.objects.get(email="lea@dupain.example").accepted_at is None

    page.context.clear_cookies()  # the invitee's own browser
    page.goto(link)
    assert page.get_by_role("heading", name="Rejoindre Boulangerie Dupain").is_visible()
    page.get_by_label("Prénom").fill("Léa")
    page.locator("#id_last_name").fill("Fournil")
    page.get_by_label("Choisissez un mot de passe").fill("Un-mot-de-passe-42")
    page.get_by_label("Le mot de passe, à nouveau").fill("Un-mot-de-passe-42")
    _fits_a_phone(page)
    screenshot(page, "employer-invitation")
    page.get_by_role("button", name="Accepter l’invitation").click()
    page.wait_for_url(re.compile(r".*/espace/$"))
    assert page.get_by_text("Bienvenue : vous êtes membre de Boulangerie Dupain.").is_visible()
    assert page.get_by_text("Vendeur en boulangerie").is_visible()  # landlord A's candidate
    screenshot(page, "employer-invitation-accepted")

    # The link is spent: opening it again says so.
    page.goto(link)
    assert page.get_by_text("Cette invitation a déjà été acceptée.").is_visible()

    page.goto(f"{live_server.url}/espace/equipe/")
    assert page.get_by_role("cell", name="lea@dupain.example").first.is_visible()
    _fits_a_phone(page)
    screenshot(page, "employer-team")
    page.goto(f"{live_server.url}/espace/entreprise/")
    page.get_by_label("E-mail de contact").fill("contact@dupain.example")
    page.get_by_label("Site web").fill("pas une adresse")
    page.get_by_role("button", name="Enregistrer").click()
    assert page.locator("#id_website_error").is_visible()
    assert page.get_by_label("E-mail de contact").input_value() == "contact@dupain.example"
    _fits_a_phone(page)
    screenshot(page, "employer-company")
    page.goto(f"{live_server.url}/espace/mot-de-passe/")
    assert page.get_by_label("Mot de passe actuel").is_visible()  # she chose one
    _fits_a_phone(page)
    screenshot(page, "employer-password")
