"""Magic links: a GET (a mail scanner) signs nobody in; the POST of "Continue" does, for
that member only, within the link's lifetime; an expired or forged link asks for a new
one; asking for a link answers the same whether the address exists or not."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client

from services.core import clock
from tests.conftest import tamper

from .conftest import magic_query

pytestmark = pytest.mark.django_db


def _token(user) -> str:
    return magic_query(user).split("sesame=", 1)[1]


def test_a_get_of_the_link_changes_nothing(companies):
    client = Client()
    response = client.get(f"/espace/lien/{magic_query(companies.member_a)}&next=/espace/")

    assert response.status_code == 200
    assert b"Continuer" in response.content
    assert "_auth_user_id" not in client.session
    assert client.get("/espace/").status_code == 302  # still signed out
    companies.member_a.refresh_from_db()
    assert companies.member_a.last_login is None


def test_continue_signs_the_member_in_and_shows_their_candidates(companies):
    client = Client()
    response = client.post(
        "/espace/lien/", {"sesame": _token(companies.member_a), "next": "/espace/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/espace/"

    page = client.get("/espace/")
    assert page.status_code == 200
    assert "Vendeur en boulangerie" in page.content.decode()
    assert "Agent de propreté" not in page.content.decode()  # company B's candidate
    assert "Tenantissime" not in page.content.decode()


def test_the_same_link_still_works_twice_within_its_lifetime(companies):
    token = _token(companies.member_a)
    for _ in range(2):
        response = Client().post("/espace/lien/", {"sesame": token})
        assert response.status_code == 302


def test_an_expired_link_asks_for_a_new_one(companies, settings):
    token = _token(companies.member_a)
    with time_machine.travel(clock.now() + timedelta(seconds=settings.SESAME_MAX_AGE + 60)):
        client = Client()
        response = client.post("/espace/lien/", {"sesame": token})
    assert response.status_code == 400
    assert "Demander un nouveau lien" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_forged_or_altered_link_is_refused(companies):
    token = _token(companies.member_a)
    client = Client()
    response = client.post("/espace/lien/", {"sesame": tamper(token)})
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_a_password_change_ends_old_links(companies):
    token = _token(companies.member_a)
    companies.member_a.set_password("Un-nouveau-mot-de-passe-2026")
    companies.member_a.save()
    assert Client().post("/espace/lien/", {"sesame": token}).status_code == 400


def test_a_staff_members_token_does_not_open_the_employer_pages(companies):
    response = Client().post("/espace/lien/", {"sesame": _token(companies.staff)})
    assert response.status_code == 400


def test_next_never_leaves_the_employer_pages(companies):
    for target in ("https://evil.example/", "//evil.example/", "/console/", "/espace//evil"):
        response = Client().post(
            "/espace/lien/", {"sesame": _token(companies.member_a), "next": target}
        )
        assert response["Location"] == "/espace/"


def test_asking_for_a_link_answers_the_same_for_unknown_addresses(
    companies, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        known = Client().post("/espace/lien/nouveau/", {"email": "a@dupain.example"})
        unknown = Client().post("/espace/lien/nouveau/", {"email": "nobody@nowhere.example"})
        staff = Client().post("/espace/lien/nouveau/", {"email": companies.staff.email})

    def text(response):
        page = re.sub(
            r'(CSRFToken": |csrfmiddlewaretoken" value=)"[^"]+"', "", response.content.decode()
        )
        return (
            page.replace("a@dupain.example", "X")
            .replace("nobody@nowhere.example", "X")
            .replace(companies.staff.email, "X")
        )

    assert known.status_code == unknown.status_code == staff.status_code == 200
    assert text(known) == text(unknown) == text(staff)
    assert [m.to for m in mail.outbox] == [["a@dupain.example"]]
    assert "/espace/lien/?sesame=" in mail.outbox[0].body


def test_asking_for_links_is_rate_limited(companies, django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        answers = [
            client.post("/espace/lien/nouveau/", {"email": "a@dupain.example"}).status_code
            for _ in range(7)
        ]
    assert answers[:5] == [200] * 5
    assert len(mail.outbox) == 5
    last = client.post("/espace/lien/nouveau/", {"email": "a@dupain.example"})
    assert "Trop de demandes" in last.content.decode()


def test_a_bad_address_is_shown_beside_the_field(db):
    response = Client().post("/espace/lien/nouveau/", {"email": "pas-une-adresse"})
    assert response.status_code == 200
    assert 'value="pas-une-adresse"' in response.content.decode()
    assert "field-error" in response.content.decode()
