"""Races on PostgreSQL (real concurrent transactions): one erasure whoever wins, one export
however many times it is asked for at once."""

import pytest
from rest_framework.test import APIClient

from services.core.errors import DomainError
from services.loyalty.actions import reward_redeem
from services.loyalty.selectors import ledger_audit
from services.privacy import actions
from services.privacy.models import Erasure, ExportRequest
from tests.concurrency import run_concurrently
from tests.conftest import client_for
from tests.factories import StaffFactory, TenantFactory
from tests.factories.accounts import PASSWORD
from tests.factories.loyalty import RewardFactory, give_points

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_tenant_and_staff_erasing_at_once_make_one_erasure():
    tenant = TenantFactory()
    give_points(tenant, 200)
    reward_redeem(tenant=tenant, reward=RewardFactory(landlord=tenant.landlord))
    staff = StaffFactory(landlord=tenant.landlord, role="admin")
    token = client_for(tenant.user)._credentials["HTTP_AUTHORIZATION"]

    def by_tenant():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=token)
        return client.delete("/api/v1/me/", {"password": PASSWORD}, format="json").status_code

    def by_staff():
        try:
            actions.tenant_erase(actor=staff.user, tenant=tenant, request_reference="lettre")
        except DomainError as exc:
            return exc.code
        return "erased"

    results = run_concurrently([by_tenant, by_staff, by_tenant, by_staff])

    assert Erasure.objects.count() == 1
    assert results.count(204) + results.count("erased") == 1
    assert set(results) - {204, "erased"} <= {401, 409, "already_erased"}
    assert ledger_audit() == []


def test_asking_for_an_export_several_times_at_once_builds_one():
    tenant = TenantFactory()
    token = client_for(tenant.user)._credentials["HTTP_AUTHORIZATION"]

    def ask():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=token)
        response = client.post("/api/v1/me/export/")
        return response.status_code, response.json()["id"]

    results = run_concurrently([ask] * 6)

    assert {status for status, _id in results} == {202}
    assert len({export_id for _status, export_id in results}) == 1
    assert ExportRequest.objects.filter(user=tenant.user).count() == 1
