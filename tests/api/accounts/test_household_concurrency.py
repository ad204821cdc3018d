"""Two people using one household invitation code at the same moment (PostgreSQL: threads,
one connection each, released together): exactly one joins, the other gets the same answer
as a used code; the household never grows past its limit under parallel joins."""

import pytest
from rest_framework.test import APIClient

from services.accounts.households import household_invitation_create
from services.accounts.models import HouseholdInvitation, Tenant
from tests.concurrency import run_concurrently
from tests.factories import TenantFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _join(code: str, email: str, address: str):
    def send():
        response = APIClient().post(
            "/api/v1/auth/household/join/",
            {
                "invitation_code": code,
                "email": email,
                "password": "Un-Mot-De-Passe-Solide-42",
                "first_name": "Yanis",
                "last_name": "Martin",
                "confirm_adult": True,
            },
            format="json",
            REMOTE_ADDR=address,
        )
        return response.status_code, response.json().get("code")

    return send


def test_two_people_with_one_code_at_once_make_one_member():
    holder = TenantFactory()
    code = household_invitation_create(tenant=holder).code
    answers = run_concurrently(
        [_join(code, f"person{i}@example.org", f"198.51.100.{i + 1}") for i in range(2)]
    )
    assert sorted(answers, key=str) == sorted(
        [(201, None), (400, "invalid_invitation_code")], key=str
    )
    assert Tenant.objects.filter(tenancy=holder.tenancy, is_holder=False).count() == 1
    invitation = HouseholdInvitation.objects.get(tenancy=holder.tenancy)
    assert invitation.accepted_by.user.email in {"person0@example.org", "person1@example.org"}


def test_parallel_joins_with_several_codes_stop_at_the_household_limit(settings):
    settings.HOUSEHOLD_MAX_MEMBERS = 6
    holder = TenantFactory()
    codes = [household_invitation_create(tenant=holder).code for _ in range(5)]
    settings.HOUSEHOLD_MAX_MEMBERS = 3  # lowered after inviting: only two may join now
    answers = run_concurrently(
        [
            _join(code, f"person{i}@example.org", f"198.51.100.{i + 1}")
            for i, code in enumerate(codes)
        ]
    )
    assert answers.count((201, None)) == 2
    assert answers.count((409, "household_full")) == 3
    assert Tenant.objects.filter(tenancy=holder.tenancy).count() == 3
