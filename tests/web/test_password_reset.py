"""Password reset in the console: "Mot de passe oublié ?" for staff (e-mail, code, new
password), and the printed one-time code staff issue for a tenant without a mailbox."""

import re

import pytest
from django.core import mail
from django.test import Client

from services.accounts.models import PasswordResetCode
from services.accounts.tokens import issue_tokens
from tests.conftest import client_for
from tests.factories.accounts import PASSWORD

pytestmark = pytest.mark.django_db

NEW = "Another-Strong-Pass-77"


def _code(text: str) -> str:
    return re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", text).group(0)


def test_staff_resets_a_forgotten_password_from_the_sign_in_page(
    console, django_capture_on_commit_callbacks
):
    user = console.admin_a.user
    client = Client()
    sign_in = client.get("/console/sign-in/").content.decode()
    assert 'href="/console/password-reset/"' in sign_in
    assert "Mot de passe oublié" in sign_in
    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post("/console/password-reset/", {"email": user.email}, follow=True)
    assert asked.redirect_chain[-1][0] == "/console/password-reset/confirm/"
    assert [m.to for m in mail.outbox] == [[user.email]]
    code = _code(mail.outbox[0].body)
    form = {"email": user.email, "code": code, "new_password": NEW, "new_password_again": NEW}
    done = client.post("/console/password-reset/confirm/", form)
    assert done.status_code == 302 and done["Location"] == "/console/sign-in/"
    user.refresh_from_db()
    assert user.check_password(NEW)
    signed_in = client.post("/console/sign-in/", {"email": user.email, "password": NEW})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/console/"


def test_unknown_address_gets_the_same_page(console, django_capture_on_commit_callbacks):
    def page(email):
        with django_capture_on_commit_callbacks(execute=True):
            response = Client().post("/console/password-reset/", {"email": email}, follow=True)
        return re.sub(
            r'(CSRFToken": |csrfmiddlewaretoken" value=)"[^"]+"', "", response.content.decode()
        )

    assert page(console.admin_a.user.email) == page("nobody@example.org")
    assert len(mail.outbox) == 1


def test_wrong_code_is_said_beside_the_field_and_nothing_typed_is_lost(console):
    form = {
        "email": console.admin_a.user.email,
        "code": "AAAA-BBBB-CCCC-DDDD",
        "new_password": NEW,
        "new_password_again": NEW,
    }
    response = Client().post("/console/password-reset/confirm/", form)
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert 'value="AAAA-BBBB-CCCC-DDDD"' in response.content.decode()
    console.admin_a.user.refresh_from_db()
    assert console.admin_a.user.check_password(PASSWORD)


def test_staff_print_a_reset_code_for_their_tenant_and_it_is_logged(world, console, web_client):
    tenant = world.tenant_a
    old = issue_tokens(tenant.user)
    client = web_client(console.admin_a.user)
    detail = client.get(f"/console/tenancies/{tenant.tenancy.public_id}/").content.decode()
    url = f"/console/tenancies/{tenant.tenancy.public_id}/tenants/{tenant.public_id}/reset-code/"
    assert url in detail
    response = client.post(url)
    letter = client.get(response["Location"])
    assert letter["Cache-Control"] == "no-store"
    code = letter.context["code"]
    assert code and code in letter.content.decode()
    assert client.get(response["Location"]).context["code"] is None  # shown once
    row = PasswordResetCode.objects.get(user=tenant.user)
    assert row.issued_by == console.admin_a.user and row.created_at
    # The tenant types it in the app: new password, old sessions dead.
    api = client_for(None)
    answer = api.post(
        "/api/v1/auth/password-reset/confirm/",
        {"email": tenant.user.email, "code": code, "new_password": NEW},
        format="json",
    )
    assert answer.status_code == 204
    stale = client_for(None)
    stale.credentials(HTTP_AUTHORIZATION=f"Bearer {old['access']}")
    assert stale.get("/api/v1/me/").status_code == 401


def test_another_landlords_staff_cannot_issue_a_code_for_my_tenant(world, web_client):
    tenant = world.tenant_a
    client = web_client(world.staff_b.user)
    url = f"/console/tenancies/{tenant.tenancy.public_id}/tenants/{tenant.public_id}/reset-code/"
    assert client.post(url).status_code == 404
    assert not PasswordResetCode.objects.exists()
