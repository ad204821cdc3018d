"""An employer who never signed in: the proposal e-mail, a mail scanner's GET of its link
(nothing happens), Continue, the candidates, an answer, the tenant's contact details, an
interview the tenant receives in the app; an expired link. Screenshots in
docs/screenshots/employer-*.png."""

import re
import urllib.request
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.utils import timezone

from services.jobs import actions as jobs
from services.jobs.models import Match, RevealedProfileView
from tests.web.browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _link_in(message, live_server) -> str:
    url = re.search(r"http://\S+/espace/lien/\?\S+", message.body).group(0)
    return url.replace(settings.SITE_URL, live_server.url)


def test_employer_follows_the_email_link_and_answers(page, live_server, companies):
    companies.match_a.state = Match.State.INTERESTED
    companies.match_a.proposed_at = None
    companies.match_a.save()
    jobs.match_propose(user=companies.staff, match=companies.match_a)  # commits: e-mail sent
    assert [m.to for m in mail.outbox] == [["a@dupain.example"]]
    link = _link_in(mail.outbox[0], live_server)

    # A mail scanner opens the link: a page, no session, the link still good.
    with urllib.request.urlopen(link) as answer:
        assert answer.status == 200
        assert "Continuer" in answer.read().decode()
    assert Session.objects.count() == 0
    companies.member_a.refresh_from_db()
    assert companies.member_a.last_login is None

    page.goto(link)
    screenshot(page, "employer-magic-link")
    page.get_by_role("button", name="Continuer").click()
    page.wait_for_url(re.compile(rf".*/espace/candidats/{companies.match_a.public_id}/$"))
    assert page.get_by_role("heading", name="Une candidature pour Vendeur en boulangerie")
    page.get_by_role("link", name="Mes candidats").first.click()
    page.wait_for_url(re.compile(r".*/espace/$"))
    assert page.get_by_text("Vendeur en boulangerie").is_visible()
    assert page.get_by_text("Agent de propreté").count() == 0  # another company's
    screenshot(page, "employer-candidates")

    page.get_by_role("link", name="Vendeur en boulangerie").click()
    page.get_by_label("Intéressé·e : je souhaite rencontrer cette personne").check()
    page.get_by_role("button", name="Envoyer ma réponse").click()
    assert page.get_by_text("Votre réponse a été transmise au bailleur.").is_visible()
    screenshot(page, "employer-candidate")
    companies.match_a.refresh_from_db()
    assert companies.match_a.state == Match.State.EMPLOYER_INTERESTED
    assert companies.tenant_a.user.notifications.filter(kind="jobs.employer_answered").exists()

    # Introduced: the tenant's contact details (each view logged), then an interview.
    assert page.get_by_role("heading", name="Les coordonnées du candidat").is_visible()
    assert page.get_by_text("Zoé Tenantissime").is_visible()
    assert RevealedProfileView.objects.filter(viewer=companies.member_a).exists()
    day = timezone.localdate() + timedelta(days=5)
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_label("Heure").fill("10:30")
    page.get_by_label("Lieu ou numéro de téléphone").fill("Boulangerie Dupain, 3 place du Marché")
    screenshot(page, "employer-interview")
    page.get_by_role("button", name="Envoyer l’entretien au candidat").click()
    assert page.get_by_text("L’entretien a été envoyé au candidat.").is_visible()
    screenshot(page, "employer-interview-sent")
    companies.match_a.refresh_from_db()
    assert companies.match_a.state == Match.State.INTERVIEW
    sent = companies.tenant_a.user.notifications.get(kind="jobs.interview")
    assert "3 place du Marché" in sent.body
    assert sent.data["ics"].endswith(f"/jobs/matches/{companies.match_a.public_id}/interview.ics/")

    page.get_by_role("link", name="Mes candidats").first.click()
    page.get_by_role("link", name="Mes offres").click()
    assert page.get_by_role("heading", name="Vendeur en boulangerie").is_visible()
    screenshot(page, "employer-offers")


def test_an_expired_link_offers_to_send_a_new_one(page, live_server, companies):
    page.goto(f"{live_server.url}/espace/lien/?sesame=expired-or-forged&next=/espace/")
    page.get_by_role("button", name="Continuer").click()
    assert page.get_by_role("heading", name="Ce lien ne fonctionne plus").is_visible()
    page.get_by_role("link", name="Demander un nouveau lien").click()
    page.get_by_label("Votre adresse e-mail").fill("a@dupain.example")
    page.get_by_role("button", name="M'envoyer un lien").click()
    assert page.get_by_role("heading", name="Consultez vos e-mails").is_visible()
    screenshot(page, "employer-link-sent")
    assert [m.to for m in mail.outbox] == [["a@dupain.example"]]
