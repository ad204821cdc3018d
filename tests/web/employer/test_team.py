"""The employer's own pages (web/views/employer_team.py): accepting an e-mailed invitation,
the team and a colleague's invitation, the company's contact details, the password and the
password sign-in; and the console's side (invite by e-mail, approve a member)."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.test import Client

from services.accounts import employers
from services.accounts.models import EmployerInvitation, PartnerAccess, User
from services.jobs.models import Match
from tests.factories import EmployerMemberFactory, LandlordFactory, StaffFactory
from tests.web.conftest import web_client_for

from .conftest import signed_in

pytestmark = pytest.mark.django_db
PASSWORD = "Un-mot-de-passe-42"


def _invitation_path(message) -> str:
    return re.search(r"/espace/invitation/[^/\s]+/", message.body).group(0)


@pytest.fixture
def invited(companies, django_capture_on_commit_callbacks):
    """Landlord staff invited nouveau@dupain.example to company A by e-mail (the console)."""
    client = web_client_for(companies.staff)
    company_a = companies.member_a.employer_member.employer
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/console/jobs/employers/{company_a.public_id}/invite/",
            {"email": "nouveau@dupain.example"},
        )
    assert response.status_code == 302
    return _invitation_path(mail.outbox[-1])


# --------------------------------------------------------------------------- accepting


def test_the_invitation_page_get_changes_nothing_and_the_post_signs_in(companies, invited):
    page = Client().get(invited)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Boulangerie Dupain" in html and "Habitat Atlantique" in html
    assert EmployerInvitation.objects.get(email="nouveau@dupain.example").accepted_at is None

    client = Client()
    response = client.post(
        invited,
        {
            "first_name": "Léa",
            "last_name": "Fournil",
            "new_password": PASSWORD,
            "new_password_again": PASSWORD,
        },
    )
    assert response.status_code == 302 and response["Location"] == "/espace/"
    home = client.get("/espace/")
    assert home.status_code == 200
    assert "Vendeur en boulangerie" in home.content.decode()  # landlord A's candidate


def test_a_replayed_invitation_link_is_refused(companies, invited):
    data = {
        "first_name": "Léa",
        "last_name": "Fournil",
        "new_password": PASSWORD,
        "new_password_again": PASSWORD,
    }
    assert Client().post(invited, data).status_code == 302
    again = Client().post(invited, {**data, "new_password": "X-autre-mot-99"})
    assert again.status_code == 410
    assert "déjà été acceptée" in again.content.decode()
    assert Client().get(invited).status_code == 410
    assert User.objects.get(email="nouveau@dupain.example").check_password(PASSWORD)


def test_an_expired_or_forged_invitation_link(companies, invited):
    invitation = EmployerInvitation.objects.get(email="nouveau@dupain.example")
    with time_machine.travel(invitation.expires_at + timedelta(minutes=1)):
        expired = Client().get(invited)
        assert expired.status_code == 410
        assert "expiré" in expired.content.decode()
    assert Client().get("/espace/invitation/forged/").status_code == 404
    assert Client().post("/espace/invitation/" + "A" * 3000 + "/").status_code == 404


def test_errors_are_beside_their_field_and_nothing_typed_is_lost(companies, invited):
    page = Client().post(
        invited,
        {
            "first_name": "Léa",
            "last_name": "",
            "new_password": "123",
            "new_password_again": "456",
        },
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="Léa"' in html
    assert "Les deux mots de passe diffèrent." in html
    weak = (
        Client()
        .post(
            invited,
            {
                "first_name": "Léa",
                "last_name": "Fournil",
                "new_password": "123",
                "new_password_again": "123",
            },
        )
        .content.decode()
    )
    assert 'id="id_new_password_error"' in weak
    assert 'value="Fournil"' in weak


def test_an_existing_member_is_recognised(companies, django_capture_on_commit_callbacks):
    landlord_b = LandlordFactory(name="Logis Charentais")
    company_a = companies.member_a.employer_member.employer
    company_a.landlords.add(landlord_b)
    advisor_b = StaffFactory(landlord=landlord_b, role="job_advisor").user
    with django_capture_on_commit_callbacks(execute=True):
        web_client_for(advisor_b).post(
            f"/console/jobs/employers/{company_a.public_id}/invite/",
            {"email": companies.member_a.email},
        )
    path = _invitation_path(mail.outbox[-1])
    page = Client().get(path).content.decode()
    assert "déjà membre" in page and 'name="new_password"' not in page
    assert Client().post(path).status_code == 302
    assert PartnerAccess.objects.filter(
        member=companies.member_a.employer_member, landlord=landlord_b
    ).exists()


# --------------------------------------------------------------------------- the team


def test_a_member_invites_a_colleague_who_waits_for_the_landlords_approval(
    companies, django_capture_on_commit_callbacks
):
    client = signed_in(companies.member_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/espace/equipe/", {"email": "collegue@dupain.example"})
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["collegue@dupain.example"]
    team = client.get("/espace/equipe/").content.decode()
    assert "collegue@dupain.example" in team
    colleague = Client()
    colleague.post(
        _invitation_path(mail.outbox[-1]),
        {
            "first_name": "Sam",
            "last_name": "Levain",
            "new_password": PASSWORD,
            "new_password_again": PASSWORD,
        },
    )
    # A member of the company, but no landlord's candidate until its staff approve.
    assert "Vendeur en boulangerie" not in colleague.get("/espace/").content.decode()
    member = User.objects.get(email="collegue@dupain.example").employer_member
    company_a = member.employer
    console = web_client_for(companies.staff)
    detail = console.get(f"/console/jobs/employers/{company_a.public_id}/").content.decode()
    assert "En attente de votre accord" in detail
    response = console.post(
        f"/console/jobs/employers/{company_a.public_id}/members/{member.public_id}/access/",
        {"grant": "1"},
    )
    assert response.status_code == 302
    assert "Vendeur en boulangerie" in colleague.get("/espace/").content.decode()


def test_a_member_cannot_grant_a_landlords_access(companies):
    """No page of /espace/ writes a PartnerAccess: the approval route is the console's."""
    client = signed_in(companies.member_a)
    colleague = EmployerMemberFactory(
        employer=companies.member_a.employer_member.employer, grants=[]
    )
    company_a = colleague.employer
    url = f"/console/jobs/employers/{company_a.public_id}/members/{colleague.public_id}/access/"
    assert client.post(url, {"grant": "1"}).status_code == 403
    assert not PartnerAccess.objects.filter(member=colleague).exists()


def test_the_invitation_form_shows_the_refusal_beside_the_field(companies):
    client = signed_in(companies.member_a)
    page = client.post("/espace/equipe/", {"email": companies.member_a.email})  # a member
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="id_email_error"' in html and companies.member_a.email in html
    bad = client.post("/espace/equipe/", {"email": "pas-une-adresse"}).content.decode()
    assert 'id="id_email_error"' in bad


# --------------------------------------------------------------------------- the company


def test_a_member_edits_their_own_companys_contact_details_only(companies):
    client = signed_in(companies.member_a)
    response = client.post(
        "/espace/entreprise/",
        {
            "contact_email": "contact@dupain.example",
            "phone": "05 46 11 22 33",
            "website": "dupain.example",
            # Not fields of the form: ignored, whatever they say.
            "name": "Renamed",
            "employer": str(companies.member_b.employer_member.employer.public_id),
        },
    )
    assert response.status_code == 302
    company_a = companies.member_a.employer_member.employer
    company_b = companies.member_b.employer_member.employer
    company_a.refresh_from_db()
    company_b.refresh_from_db()
    assert (company_a.contact_email, company_a.website, company_a.name) == (
        "contact@dupain.example",
        "https://dupain.example",
        "Boulangerie Dupain",
    )
    assert company_b.contact_email == "" and company_b.phone == ""
    bad = client.post("/espace/entreprise/", {"contact_email": "non", "phone": "x" * 31})
    assert bad.status_code == 200
    html = bad.content.decode()
    assert 'id="id_contact_email_error"' in html and 'id="id_phone_error"' in html


# --------------------------------------------------------------------------- password


def test_a_member_sets_a_password_and_signs_in_with_it(companies):
    user = companies.member_a
    user.set_unusable_password()
    user.save()
    client = signed_in(user)
    page = client.get("/espace/mot-de-passe/").content.decode()
    assert 'name="current_password"' not in page
    response = client.post(
        "/espace/mot-de-passe/", {"new_password": PASSWORD, "new_password_again": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/espace/").status_code == 200  # this session goes on

    browser = Client()
    assert browser.get("/espace/connexion/").status_code == 200
    response = browser.post(
        "/espace/connexion/",
        {"email": user.email, "password": PASSWORD, "next": "/espace/offres/"},
    )
    assert response.status_code == 302 and response["Location"] == "/espace/offres/"
    assert browser.get("/espace/").status_code == 200


def test_changing_the_password_asks_for_the_current_one(companies):
    client = signed_in(companies.member_a)
    page = client.post(
        "/espace/mot-de-passe/",
        {
            "current_password": "faux",
            "new_password": PASSWORD,
            "new_password_again": PASSWORD,
        },
    )
    assert page.status_code == 200
    assert 'id="id_current_password_error"' in page.content.decode()


def test_password_sign_in_has_the_staff_limits_and_is_for_members_only(companies):
    user = companies.member_a
    browser = Client()
    for _attempt in range(settings.LOGIN_MAX_FAILURES):
        browser.post("/espace/connexion/", {"email": user.email, "password": "faux"})
    locked = browser.post(
        "/espace/connexion/", {"email": user.email, "password": "Correct-Horse-42"}
    )
    assert locked.status_code == 200
    assert "Trop de tentatives" in locked.content.decode()
    assert browser.get("/espace/").status_code == 302

    staff = Client().post(
        "/espace/connexion/", {"email": companies.staff.email, "password": "Correct-Horse-42"}
    )
    assert "membres des entreprises partenaires" in staff.content.decode()
    assert (
        Client().post("/espace/connexion/", {"email": "x" * 300, "password": "p"}).status_code
        == 200
    )


# --------------------------------------------------------------------------- the console


def test_console_invitation_needs_an_address_and_keeps_what_was_typed(companies):
    client = web_client_for(companies.staff)
    company_a = companies.member_a.employer_member.employer
    page = client.post(
        f"/console/jobs/employers/{company_a.public_id}/invite/",
        {"email": companies.tenant_a.user.email},
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="id_email_error"' in html and companies.tenant_a.user.email in html
    assert not EmployerInvitation.objects.exists()


def test_wrong_landlord_staff_cannot_approve_a_member(companies):
    member = EmployerMemberFactory(employer=companies.member_a.employer_member.employer, grants=[])
    company_a = member.employer
    other = StaffFactory(role="admin").user  # landlord B, not a partner of company A
    url = f"/console/jobs/employers/{company_a.public_id}/members/{member.public_id}/access/"
    assert web_client_for(other).post(url, {"grant": "1"}).status_code == 404
    community = StaffFactory(landlord=companies.landlord, role="community").user
    assert web_client_for(community).post(url, {"grant": "1"}).status_code == 403
    # A member of another company, under company A's address: 404.
    foreign = companies.member_b.employer_member
    wrong = f"/console/jobs/employers/{company_a.public_id}/members/{foreign.public_id}/access/"
    assert web_client_for(companies.staff).post(wrong, {"grant": "0"}).status_code == 404
    assert not PartnerAccess.objects.filter(member=member).exists()
    assert PartnerAccess.objects.filter(member=foreign).exists()


def test_staff_withdraw_a_members_access(companies):
    member = companies.member_a.employer_member
    url = f"/console/jobs/employers/{member.employer.public_id}/members/{member.public_id}/access/"
    web_client_for(companies.staff).post(url, {"grant": "0"})
    assert not PartnerAccess.objects.filter(member=member).exists()
    client = signed_in(companies.member_a)
    assert "Vendeur en boulangerie" not in client.get("/espace/").content.decode()
    assert companies.match_a.state == Match.State.PROPOSED


def test_invitation_token_is_not_a_sign_in_token(companies, invited):
    """The invitation's token opens its page only: not the magic link's sign-in."""
    token = invited.rsplit("/", 2)[1]
    assert Client().post("/espace/lien/", {"sesame": token}).status_code == 400
    assert employers.invitation_read(token) is not None


def test_the_link_request_page_offers_the_password_sign_in(companies):
    page = Client().get("/espace/lien/nouveau/?next=/espace/offres/").content.decode()
    assert 'href="/espace/connexion/?next=/espace/offres/"' in page
