"""Console sign-in, sign-out and password change, over the domain's account actions."""

import pytest
from django.conf import settings
from django.test import Client

from services.accounts.models import User
from tests.factories import StaffFactory, TenantFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # the factories' password is unknown: set ours


def _staff(**kw):
    staff = StaffFactory(**kw)
    staff.user.set_password(PASSWORD)
    staff.user.save()
    return staff


def _sign_in(client, email, password=PASSWORD, next_url=""):
    data = {"email": email, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post("/console/sign-in/", data)


def test_staff_signs_in_with_email_and_password_and_lands_on_home():
    staff = _staff()
    client = Client()
    response = _sign_in(client, staff.user.email.upper())
    assert response.status_code == 302
    assert response["Location"] == "/console/"
    assert client.get("/console/").status_code == 200


def test_sign_in_goes_back_to_the_page_asked_for_but_never_off_the_console():
    staff = _staff()
    response = _sign_in(Client(), staff.user.email, next_url="/console/tenancies/")
    assert response["Location"] == "/console/tenancies/"
    response = _sign_in(Client(), staff.user.email, next_url="https://evil.example/")
    assert response["Location"] == "/console/"


def test_wrong_password_shows_the_error_and_keeps_the_email():
    staff = _staff()
    response = _sign_in(Client(), staff.user.email, password="nope")
    assert response.status_code == 200
    content = response.content.decode()
    assert "E-mail ou mot de passe incorrect" in content
    assert f'value="{staff.user.email}"' in content
    assert settings.SESSION_COOKIE_NAME not in response.cookies


def test_console_sign_in_counts_failures_like_the_api_and_locks_the_account():
    staff = _staff()
    client = Client()
    for _ in range(settings.LOGIN_MAX_FAILURES):
        _sign_in(client, staff.user.email, password="wrong")
    response = _sign_in(client, staff.user.email)  # the right password, too late
    assert response.status_code == 200
    assert "Trop de tentatives" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_tenants_and_employers_cannot_sign_in_to_the_console():
    tenant = TenantFactory()
    tenant.user.set_password(PASSWORD)
    tenant.user.save()
    response = _sign_in(Client(), tenant.user.email)
    assert response.status_code == 200
    assert "réservée au personnel" in response.content.decode()


def test_login_form_needs_the_csrf_token():
    staff = _staff()
    client = Client(enforce_csrf_checks=True)
    response = _sign_in(client, staff.user.email)
    assert response.status_code == 403


def test_sign_out_ends_the_session_and_is_post_only(web_client):
    staff = _staff()
    client = web_client(staff.user)
    assert client.get("/console/sign-out/").status_code == 405
    response = client.post("/console/sign-out/")
    assert response["Location"] == "/console/sign-in/"
    assert client.get("/console/")["Location"].startswith("/console/sign-in/")


def test_change_password_keeps_this_session_and_ends_the_others(web_client):
    staff = _staff()
    client, other = web_client(staff.user), web_client(staff.user)
    response = client.post(
        "/console/password/",
        {
            "current_password": PASSWORD,
            "new_password": "a brand new passphrase",
            "new_password_again": "a brand new passphrase",
        },
    )
    assert response["Location"] == "/console/"
    assert client.get("/console/").status_code == 200
    assert other.get("/console/").status_code == 302
    staff.user.refresh_from_db()
    assert staff.user.check_password("a brand new passphrase")


def test_change_password_shows_the_domain_error_beside_the_field(web_client):
    staff = _staff()
    response = web_client(staff.user).post(
        "/console/password/",
        {"current_password": "wrong", "new_password": "x", "new_password_again": "x"},
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_current_password_error"' in content
    assert "Le mot de passe actuel est incorrect" in content


def test_ending_all_sessions_signs_the_console_out(web_client):
    from services.accounts.actions import sessions_end_all

    staff = _staff()
    client = web_client(staff.user)
    sessions_end_all(user=User.objects.get(pk=staff.user.pk))
    assert client.get("/console/")["Location"].startswith("/console/sign-in/")


def test_landing_page_says_what_voisinage_is_in_french_and_links_the_console_and_api():
    response = Client().get("/")
    content = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr">' in content
    assert 'href="/console/"' in content
    assert 'href="/api/docs/"' in content
    assert 'href="/espace/lien/nouveau/"' in content
    assert "Les employeurs répondent aux candidats" in content


def test_unknown_console_page_is_an_html_404_and_the_api_keeps_json():
    UserFactory()
    response = Client().get("/console/nowhere/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "Retour à l’accueil de Voisinage" in response.content.decode()
    response = Client().get("/api/v1/nowhere/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_failures_on_the_console_count_with_the_apis_for_the_same_client():
    from rest_framework.test import APIClient

    staff = _staff()
    for _ in range(settings.LOGIN_MAX_FAILURES - 1):
        _sign_in(Client(REMOTE_ADDR="198.51.100.4"), staff.user.email, password="wrong")
    api = APIClient(REMOTE_ADDR="198.51.100.4")
    response = api.post(
        "/api/v1/auth/token/", {"email": staff.user.email, "password": "wrong"}, format="json"
    )
    assert response.status_code == 400
    response = _sign_in(Client(REMOTE_ADDR="198.51.100.4"), staff.user.email)
    assert "Trop de tentatives" in response.content.decode()
    # Another client is not locked out by this one's guesses.
    other = Client(REMOTE_ADDR="192.0.2.50")
    assert _sign_in(other, staff.user.email)["Location"] == "/console/"
