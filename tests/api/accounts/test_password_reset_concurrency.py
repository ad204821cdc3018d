"""Reset limits under real parallel requests (PostgreSQL: threads, one connection each,
released together by a barrier): exactly the limit is evaluated, never more."""

import pytest
from django.core import mail
from rest_framework.test import APIClient

from services.accounts.models import PasswordResetCode
from tests.concurrency import run_concurrently
from tests.factories import TenantFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _post(path, body, address):
    def send():
        response = APIClient().post(path, body, format="json", REMOTE_ADDR=address)
        return response.status_code

    return send


def test_parallel_requests_for_one_address_send_exactly_the_limit():
    tenant = TenantFactory(user__email="camille@example.org")
    answers = run_concurrently(
        [
            _post(
                "/api/v1/auth/password-reset/", {"email": "camille@example.org"}, f"198.51.100.{i}"
            )
            for i in range(12)
        ]
    )
    assert answers.count(202) == 3
    assert answers.count(429) == 9
    assert PasswordResetCode.objects.filter(user=tenant.user).count() == 3
    assert len(mail.outbox) == 3


def test_parallel_requests_from_one_client_stop_at_the_client_limit():
    answers = run_concurrently(
        [
            _post("/api/v1/auth/password-reset/", {"email": f"p{i}@example.org"}, "203.0.113.9")
            for i in range(16)
        ]
    )
    assert answers.count(202) == 10
    assert answers.count(429) == 6


def test_parallel_wrong_codes_from_one_client_evaluate_exactly_the_limit():
    tenant = TenantFactory()
    answers = run_concurrently(
        [
            _post(
                "/api/v1/auth/password-reset/confirm/",
                {
                    "email": tenant.user.email,
                    "code": f"AAAA-BBBB-CCCC-{i:04d}",
                    "new_password": "Another-Strong-Pass-77",
                },
                "203.0.113.9",
            )
            for i in range(30)
        ]
    )
    assert answers.count(400) == 20
    assert answers.count(429) == 10
