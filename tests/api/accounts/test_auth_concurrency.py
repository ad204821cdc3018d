"""Attempt limits under real parallel requests (PostgreSQL: threads, one connection each,
released together by a barrier): exactly the limit is evaluated, never more."""

import pytest
from rest_framework.test import APIClient

from tests.concurrency import run_concurrently
from tests.factories import TenantFactory
from tests.factories.accounts import PASSWORD

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

STRANGER = "203.0.113.9"


def _post(path, body, address):
    def send():
        response = APIClient().post(path, body, format="json", REMOTE_ADDR=address)
        return response.status_code, response.json().get("code")

    return send


def _login(email, password, address):
    return _post("/api/v1/auth/token/", {"email": email, "password": password}, address)


def test_thirty_parallel_wrong_activation_codes_evaluate_exactly_the_limit(settings):
    assert settings.ACTIVATION_MAX_ATTEMPTS_PER_HOUR == 20
    guesses = [
        _post(
            "/api/v1/auth/activate/",
            {
                "activation_code": f"AAAA-BBBB-CCCC-{i:04d}",
                "email": f"guess{i}@example.org",
                "password": "Un-Mot-De-Passe-Solide-42",
            },
            STRANGER,
        )
        for i in range(30)
    ]
    answers = run_concurrently(guesses)
    assert answers.count((400, "invalid_activation_code")) == 20
    assert answers.count((429, "throttled")) == 10


def test_parallel_wrong_passwords_from_one_client_evaluate_exactly_the_limit():
    """...and the stranger's lock is theirs: the owner still signs in from elsewhere."""
    tenant = TenantFactory(user__email="target@example.org")
    answers = run_concurrently(
        [_login("target@example.org", f"guess-{i}", STRANGER) for i in range(20)]
    )
    assert answers.count((400, "invalid_credentials")) == 5
    assert answers.count((429, "login_locked")) == 15
    assert _login("target@example.org", PASSWORD, "198.51.100.7")()[0] == 200
    assert tenant.user.is_active


def test_parallel_wrong_passwords_on_many_accounts_from_one_client_evaluate_exactly_the_limit(
    settings,
):
    settings.LOGIN_MAX_FAILURES_PER_CLIENT = 10
    emails = [TenantFactory().user.email for _ in range(25)]
    answers = run_concurrently([_login(email, "bad", STRANGER) for email in emails])
    assert answers.count((400, "invalid_credentials")) == 10
    assert answers.count((429, "login_locked")) == 15


def test_parallel_wrong_passwords_from_many_clients_stop_at_the_account_ceiling(settings):
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 25
    TenantFactory(user__email="target@example.org")
    guesses = [
        _login("target@example.org", "bad", f"203.0.113.{client}")
        for client in range(1, 11)
        for _ in range(4)  # under the per-client limit: only the ceiling can refuse
    ]
    answers = run_concurrently(guesses)
    assert answers.count((400, "invalid_credentials")) == 25
    assert answers.count((429, "login_locked")) == 15
    assert _login("target@example.org", PASSWORD, "198.51.100.7")()[0] == 429
