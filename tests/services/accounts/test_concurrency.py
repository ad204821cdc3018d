"""Real concurrent transactions on PostgreSQL (SQLite serialises writers and ignores locks)."""

import pytest
from rest_framework.test import APIClient

from services.accounts import actions
from services.accounts.models import Tenancy
from services.accounts.tokens import issue_tokens
from services.core.errors import DomainError
from tests.concurrency import run_concurrently
from tests.conftest import client_for
from tests.factories import ResidenceFactory, StaffFactory, TenantFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_ten_concurrent_refreshes_of_one_token_let_exactly_one_through():
    tokens = issue_tokens(TenantFactory().user)

    def refresh():
        try:
            return actions.token_refresh(refresh=tokens["refresh"])
        except DomainError as exc:
            return exc

    results = run_concurrently([refresh] * 10)
    winners = [r for r in results if isinstance(r, dict)]
    losers = [r for r in results if isinstance(r, DomainError)]
    assert len(winners) == 1
    assert len(losers) == 9
    assert {e.code for e in losers} == {"token_not_valid"}


def test_concurrent_duplicates_with_one_idempotency_key_create_one_tenancy():
    staff = StaffFactory()
    residence = ResidenceFactory(landlord=staff.landlord)
    body = {
        "residence": str(residence.public_id),
        "unit_reference": "A-1",
        "tenant_reference": "LOC-RACE",
        "holder_names": "Noé Petit",
        "start_date": "2024-01-01",
    }
    token = client_for(staff.user)._credentials["HTTP_AUTHORIZATION"]

    def post():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=token)
        response = client.post(
            "/api/v1/tenancies/", body, format="json", HTTP_IDEMPOTENCY_KEY="same"
        )
        return response.status_code

    statuses = run_concurrently([post] * 8)
    assert statuses.count(201) >= 1
    assert set(statuses) <= {201, 409}
    assert Tenancy.objects.filter(tenant_reference="LOC-RACE").count() == 1


def test_concurrent_guesses_cannot_slip_past_the_login_lock():
    tenant = TenantFactory(user__email="target@example.org")

    def guess(password):
        def run():
            try:
                actions.login(email="target@example.org", password=password)
                return "ok"
            except DomainError as exc:
                return exc.code

        return run

    results = run_concurrently([guess(f"guess-{i}") for i in range(16)])
    assert results.count("invalid_credentials") == 5
    assert results.count("login_locked") == 11
    assert tenant.user.is_active
