"""The employer pages' authorisation: who opens what under /espace/, and answering."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from services.jobs.models import Match
from tests.web.conftest import web_client_for

from .conftest import signed_in

pytestmark = pytest.mark.django_db

# Every /espace/ route and what each visitor gets (GET). The public ones (the link pages,
# the e-mail switch) take a credential in the request instead of a session.
EXPECTED = {
    "": {"anonymous": 302, "member": 200, "staff": 403, "tenant": 403},
    "candidats/<uuid:id>/": {"anonymous": 302, "member": 200, "staff": 403, "tenant": 403},
    "offres/": {"anonymous": 302, "member": 200, "staff": 403, "tenant": 403},
    "offres/<uuid:id>/statut/": {"anonymous": 405, "member": 405, "staff": 405, "tenant": 405},
    "offres/nouvelle/": {"anonymous": 302, "member": 200, "staff": 403, "tenant": 403},
    "offres/metiers/": {"anonymous": 302, "member": 200, "staff": 403, "tenant": 403},
    # <uuid:id> is a match's id here: no offer has it (test_offer_pages.py opens real ones).
    "offres/<uuid:id>/": {"anonymous": 302, "member": 404, "staff": 403, "tenant": 403},
    "lien/": {"anonymous": 200, "member": 200, "staff": 200, "tenant": 200},
    "lien/nouveau/": {"anonymous": 200, "member": 200, "staff": 200, "tenant": 200},
    "deconnexion/": {"anonymous": 405, "member": 405, "staff": 405, "tenant": 405},
    "e-mails/<str:token>/": {"anonymous": 404, "member": 404, "staff": 404, "tenant": 404},
    # The member's own team, company and password (tests/web/employer/test_team.py).
    "equipe/": {"anonymous": 302, "member": 200, "staff": 403, "tenant": 403},
    "entreprise/": {"anonymous": 302, "member": 200, "staff": 403, "tenant": 403},
    "mot-de-passe/": {"anonymous": 302, "member": 200, "staff": 403, "tenant": 403},
    "connexion/": {"anonymous": 200, "member": 302, "staff": 200, "tenant": 200},
    "invitation/<str:token>/": {"anonymous": 404, "member": 404, "staff": 404, "tenant": 404},
}


def _employer_routes() -> set[str]:
    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLResolver) and str(pattern.pattern) == "espace/":
            return {str(p.pattern) for p in pattern.url_patterns if isinstance(p, URLPattern)}
    raise AssertionError("/espace/ is not mounted")


def test_every_employer_route_has_an_expectation():
    assert _employer_routes() == set(EXPECTED)


@pytest.mark.parametrize("route", sorted(EXPECTED))
@pytest.mark.parametrize("who", ["anonymous", "member", "staff", "tenant"])
def test_employer_route_answers_each_visitor(companies, route, who):
    clients = {
        "anonymous": lambda: Client(),
        "member": lambda: signed_in(companies.member_a),
        "staff": lambda: web_client_for(companies.staff),
        "tenant": lambda: web_client_for(companies.tenant_a.user),
    }
    url = "/espace/" + route.replace("<uuid:id>", str(companies.match_a.public_id)).replace(
        "<str:token>", "forged"
    )
    assert clients[who]().get(url).status_code == EXPECTED[route][who]


def test_a_member_of_company_a_opening_company_bs_match_gets_404(companies):
    client = signed_in(companies.member_a)
    url = f"/espace/candidats/{companies.match_b.public_id}/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"decision": "interested"}).status_code == 404
    companies.match_b.refresh_from_db()
    assert companies.match_b.state == Match.State.PROPOSED


def test_a_match_of_a_landlord_that_did_not_grant_access_is_404(companies):
    from services.accounts.models import PartnerAccess

    PartnerAccess.objects.filter(member__user=companies.member_a).delete()
    client = signed_in(companies.member_a)
    assert client.get(f"/espace/candidats/{companies.match_a.public_id}/").status_code == 404
    assert "Vendeur en boulangerie" not in client.get("/espace/").content.decode()


def test_the_candidate_page_names_nobody_without_the_introduction_consent(companies):
    from services.jobs import actions

    actions.consent_set(tenant=companies.tenant_a, purpose="introduction", granted=False)
    page = signed_in(companies.member_a).get(f"/espace/candidats/{companies.match_a.public_id}/")
    text = page.content.decode()
    assert "Vendeur en boulangerie" in text
    for identity in ("Zoé", "Tenantissime", companies.tenant_a.user.email):
        assert identity not in text


def test_answer_interested(companies, django_capture_on_commit_callbacks):
    client = signed_in(companies.member_a)
    url = f"/espace/candidats/{companies.match_a.public_id}/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"decision": "interested"})
    assert response.status_code == 302
    companies.match_a.refresh_from_db()
    assert companies.match_a.state == Match.State.EMPLOYER_INTERESTED
    assert companies.tenant_a.user.notifications.filter(kind="jobs.employer_answered").exists()


def test_answer_declined_needs_a_reason_and_keeps_the_message(companies):
    client = signed_in(companies.member_a)
    url = f"/espace/candidats/{companies.match_a.public_id}/"
    response = client.post(url, {"decision": "declined", "message": "Merci beaucoup"})
    assert response.status_code == 200
    assert "Merci beaucoup" in response.content.decode()
    assert "field-error" in response.content.decode()
    companies.match_a.refresh_from_db()
    assert companies.match_a.state == Match.State.PROPOSED

    response = client.post(url, {"decision": "declined", "reason": "position_filled"})
    assert response.status_code == 302
    companies.match_a.refresh_from_db()
    assert companies.match_a.state == Match.State.DECLINED


def test_answer_postponed_then_a_stale_second_answer_is_shown_not_500(companies):
    client = signed_in(companies.member_a)
    url = f"/espace/candidats/{companies.match_a.public_id}/"
    assert client.post(url, {"decision": "postponed"}).status_code == 302
    assert client.post(url, {"decision": "nonsense"}).status_code == 200


def test_signing_out_ends_the_session(companies):
    client = signed_in(companies.member_a)
    assert client.post("/espace/deconnexion/").status_code == 302
    assert client.get("/espace/").status_code == 302


def test_email_switch_off_and_one_click(companies):
    from notifications.email import preferences_token
    from notifications.services import email_enabled

    token = preferences_token(user_id=companies.member_a.pk, category="jobs")
    client = Client(enforce_csrf_checks=True)
    page = client.get(f"/espace/e-mails/{token}/")
    assert page.status_code == 200
    # RFC 8058: the mail provider POSTs this body, without any cookie or CSRF token.
    response = client.post(f"/espace/e-mails/{token}/", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not email_enabled(user=companies.member_a, category="jobs")
    client.post(f"/espace/e-mails/{token}/", {"enabled": "1"})
    assert email_enabled(user=companies.member_a, category="jobs")


def test_account_emails_cannot_be_switched_off(companies):
    from notifications.email import preferences_token
    from notifications.services import email_enabled

    token = preferences_token(user_id=companies.member_a.pk, category="account")
    Client().post(f"/espace/e-mails/{token}/", {"List-Unsubscribe": "One-Click"})
    assert email_enabled(user=companies.member_a, category="account")


def test_hostile_input_is_a_clear_answer_never_a_500(companies):
    client = signed_in(companies.member_a)
    url = f"/espace/candidats/{companies.match_a.public_id}/"
    assert client.get("/espace/candidats/not-a-uuid/").status_code == 404
    assert client.post(url, {"decision": "declined", "reason": "made_up"}).status_code == 200
    long = client.post(url, {"decision": "postponed", "message": "x" * 100_000})
    assert long.status_code == 200 and "field-error" in long.content.decode()
    assert Client().post("/espace/lien/", {"sesame": "A" * 50_000}).status_code == 400
    assert Client().post("/espace/lien/", {"sesame": "ÿ\x00<script>"}).status_code == 400
    assert Client().get("/espace/e-mails/" + "A" * 5000 + "/").status_code == 404
    too_long = Client().post("/espace/lien/nouveau/", {"email": "a" * 300 + "@x.example"})
    assert too_long.status_code == 200 and "field-error" in too_long.content.decode()
    # The later steps and the offers: absurd values are a form error or a message.
    odd = {"step": "interview", "date": "31/02/99999", "time": "25:99", "place": "x" * 5000}
    assert client.post(url, odd).status_code == 200
    assert (
        client.post(url, {"step": "outcome", "outcome": "hired", "start_date": "-1"}).status_code
        == 200
    )
    assert client.post(url, {"step": "nonsense"}).status_code == 200
    offer_url = f"/espace/offres/{companies.match_a.offer.public_id}/statut/"
    assert client.post(offer_url, {"status": "<script>"}).status_code == 302
    assert client.post("/espace/offres/not-a-uuid/statut/", {"status": "closed"}).status_code == 404
    companies.match_a.refresh_from_db()
    assert companies.match_a.state == Match.State.PROPOSED
