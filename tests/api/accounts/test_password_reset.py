"""Password reset by e-mail, end to end: request, e-mail (locmem outbox), new password,
old sessions dead; the same answer for an unknown address; limits; codes at their edges."""

import datetime
import re

import pytest
import time_machine
from django.core import mail

from services.accounts.models import PasswordResetCode
from services.accounts.tokens import issue_tokens
from tests.conftest import client_for
from tests.factories import StaffFactory, TenantFactory
from tests.factories.accounts import PASSWORD

pytestmark = pytest.mark.django_db

NEW = "Another-Strong-Pass-77"
RESET = "/api/v1/auth/password-reset/"
CONFIRM = "/api/v1/auth/password-reset/confirm/"


def _request(api_client, email, address="198.51.100.1", capture=None):
    if capture is None:
        return api_client.post(RESET, {"email": email}, format="json", REMOTE_ADDR=address)
    with capture(execute=True):
        return api_client.post(RESET, {"email": email}, format="json", REMOTE_ADDR=address)


def _code_from(message) -> str:
    return re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", message.body).group(0)


def _confirm(api_client, email, code, password=NEW, address="198.51.100.1"):
    return api_client.post(
        CONFIRM,
        {"email": email, "code": code, "new_password": password},
        format="json",
        REMOTE_ADDR=address,
    )


def test_reset_end_to_end_by_email_ends_every_other_session(
    api_client, django_capture_on_commit_callbacks
):
    tenant = TenantFactory(user__email="camille@example.org")
    old = issue_tokens(tenant.user)
    response = _request(
        api_client, "Camille@Example.org", capture=django_capture_on_commit_callbacks
    )
    assert response.status_code == 202
    assert [m.to for m in mail.outbox] == [["camille@example.org"]]
    message = mail.outbox[0]
    assert "mot de passe" in message.subject.lower()  # French first
    assert "/console/password-reset/confirm/" in message.body
    code = _code_from(message)
    row = PasswordResetCode.objects.get(user=tenant.user)
    assert code not in row.code_hash and len(row.code_hash) == 64  # only a hash is kept

    assert _confirm(api_client, "camille@example.org", code).status_code == 204
    tenant.user.refresh_from_db()
    assert tenant.user.check_password(NEW)
    stale = client_for(None)
    stale.credentials(HTTP_AUTHORIZATION=f"Bearer {old['access']}")
    assert stale.get("/api/v1/me/").status_code == 401
    refresh = api_client.post(
        "/api/v1/auth/token/refresh/", {"refresh": old["refresh"]}, format="json"
    )
    assert refresh.status_code == 401
    signed_in = api_client.post(
        "/api/v1/auth/token/", {"email": "camille@example.org", "password": NEW}, format="json"
    )
    assert signed_in.status_code == 200
    # The code dies: a second use is refused and the password stays.
    again = _confirm(api_client, "camille@example.org", code, password="Third-Strong-Pass-88")
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_reset_code"
    tenant.user.refresh_from_db()
    assert tenant.user.check_password(NEW)


def test_unknown_address_gets_the_same_answer_and_no_email(
    api_client, django_capture_on_commit_callbacks
):
    TenantFactory(user__email="camille@example.org")
    known = _request(api_client, "camille@example.org", capture=django_capture_on_commit_callbacks)
    unknown = _request(api_client, "nobody@example.org", capture=django_capture_on_commit_callbacks)
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert [m.to for m in mail.outbox] == [["camille@example.org"]]
    assert PasswordResetCode.objects.count() == 1


def test_staff_and_employer_reset_through_the_same_endpoint(
    api_client, django_capture_on_commit_callbacks
):
    staff = StaffFactory(user__email="agent@bailleur.example")
    _request(api_client, "agent@bailleur.example", capture=django_capture_on_commit_callbacks)
    code = _code_from(mail.outbox[0])
    assert _confirm(api_client, "agent@bailleur.example", code).status_code == 204
    staff.user.refresh_from_db()
    assert staff.user.check_password(NEW)


def test_code_expires_after_thirty_minutes(api_client, django_capture_on_commit_callbacks):
    tenant = TenantFactory()
    start = datetime.datetime(2026, 5, 4, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        _request(api_client, tenant.user.email, capture=django_capture_on_commit_callbacks)
    code = _code_from(mail.outbox[0])
    with time_machine.travel(start + datetime.timedelta(minutes=30), tick=False):
        response = _confirm(api_client, tenant.user.email, code)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_reset_code"
    with time_machine.travel(start + datetime.timedelta(minutes=29, seconds=59), tick=False):
        assert _confirm(api_client, tenant.user.email, code).status_code == 204


def test_code_works_only_with_its_own_address(api_client, django_capture_on_commit_callbacks):
    tenant = TenantFactory()
    other = TenantFactory()
    _request(api_client, tenant.user.email, capture=django_capture_on_commit_callbacks)
    code = _code_from(mail.outbox[0])
    assert _confirm(api_client, other.user.email, code).status_code == 400
    other.user.refresh_from_db()
    assert other.user.check_password(PASSWORD)


def test_weak_password_keeps_the_code_and_the_old_password(
    api_client, django_capture_on_commit_callbacks
):
    tenant = TenantFactory()
    _request(api_client, tenant.user.email, capture=django_capture_on_commit_callbacks)
    code = _code_from(mail.outbox[0])
    weak = _confirm(api_client, tenant.user.email, code, password="123")
    assert weak.status_code == 400
    assert weak.json()["code"] == "invalid_password"
    assert "new_password" in weak.json()["fields"]
    tenant.user.refresh_from_db()
    assert tenant.user.check_password(PASSWORD)
    assert _confirm(api_client, tenant.user.email, code).status_code == 204


def test_requests_are_limited_per_address_known_or_not(api_client):
    TenantFactory(user__email="camille@example.org")
    for email in ("camille@example.org", "nobody@example.org"):
        answers = [_request(api_client, email, address=f"198.51.100.{i}") for i in range(4)]
        assert [a.status_code for a in answers] == [202, 202, 202, 429]
        assert answers[-1].json()["code"] == "throttled"
    assert PasswordResetCode.objects.count() == 3


def test_requests_are_limited_per_client(api_client):
    answers = [_request(api_client, f"p{i}@example.org", address="203.0.113.5") for i in range(11)]
    assert [a.status_code for a in answers] == [202] * 10 + [429]


def test_wrong_codes_are_limited_per_client_and_the_owner_still_resets(
    api_client, django_capture_on_commit_callbacks
):
    tenant = TenantFactory()
    _request(api_client, tenant.user.email, capture=django_capture_on_commit_callbacks)
    code = _code_from(mail.outbox[0])
    stranger = "203.0.113.7"
    answers = [
        _confirm(api_client, tenant.user.email, f"AAAA-BBBB-CCCC-{i:04d}", address=stranger)
        for i in range(21)
    ]
    assert [a.status_code for a in answers] == [400] * 20 + [429]
    assert answers[-1].json()["code"] == "throttled"
    # Counted before evaluation: the right code from the locked client is refused too...
    assert _confirm(api_client, tenant.user.email, code, address=stranger).status_code == 429
    tenant.user.refresh_from_db()
    assert tenant.user.check_password(PASSWORD)
    # ...while the owner, from their own client, still resets.
    assert _confirm(api_client, tenant.user.email, code, address="198.51.100.9").status_code == 204
