"""Shared fixtures: API clients authenticated as each role, and a two-landlord world."""

import os
from dataclasses import dataclass

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from services.accounts.tokens import issue_tokens
from tests.factories import (
    EmployerFactory,
    EmployerMemberFactory,
    LandlordFactory,
    ResidenceFactory,
    StaffFactory,
    TenantFactory,
)

IS_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


RUN_WORKER_TESTS = os.environ.get("CELERY_WORKER_TESTS") == "1" and IS_POSTGRES


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    skip_worker = pytest.mark.skip(
        reason="needs Redis, PostgreSQL and CELERY_WORKER_TESTS=1 (run by .ci/run)"
    )
    for item in items:
        if "postgres" in item.keywords and not IS_POSTGRES:
            item.add_marker(skip_pg)
        if "celery_worker" in item.keywords and not RUN_WORKER_TESTS:
            item.add_marker(skip_worker)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _empty_cache():
    # Row ids repeat between tests (rolled back), so a memoized value keyed by them must not
    # outlive its test.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def api_client():
    return APIClient()


def tamper(token: str) -> str:
    """The token with one character changed well inside it: changing its last characters
    may only touch base64's unused padding bits, or put back what was there."""
    position = len(token) - 6
    swapped = "A" if token[position] != "A" else "B"
    return token[:position] + swapped + token[position + 1 :]


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_tokens(user)['access']}")
    return client


@pytest.fixture
def make_client():
    return client_for


@dataclass
class World:
    """Landlord A (two tenants, staff, a partner employer) and landlord B (one of each)."""

    landlord_a: object
    landlord_b: object
    residence_a: object
    residence_a2: object
    residence_b: object
    tenant_a: object
    tenant_a2: object
    tenant_b: object
    staff_a: object
    staff_b: object
    employer_a: object
    employer_member: object

    def users(self) -> dict:
        return {
            "anonymous": None,
            "tenant_a": self.tenant_a.user,
            "tenant_a2": self.tenant_a2.user,
            "tenant_b": self.tenant_b.user,
            "staff_a": self.staff_a.user,
            "staff_b": self.staff_b.user,
            "employer": self.employer_member.user,
        }


@pytest.fixture
def world(db) -> World:
    landlord_a = LandlordFactory(name="Immobilière Atlantic Aménagement", slug="iaa")
    landlord_b = LandlordFactory(name="Grand Lyon Habitat", slug="glh")
    residence_a = ResidenceFactory(landlord=landlord_a, name="Les Minimes", is_qpv=True)
    residence_a2 = ResidenceFactory(
        landlord=landlord_a, name="Le Bois-Joli", city="Rochefort", postcode="17300"
    )
    residence_b = ResidenceFactory(
        landlord=landlord_b, name="La Duchère", city="Lyon", postcode="69009"
    )
    employer_a = EmployerFactory(name="Océan Propreté", landlords=[landlord_a])
    return World(
        landlord_a=landlord_a,
        landlord_b=landlord_b,
        residence_a=residence_a,
        residence_a2=residence_a2,
        residence_b=residence_b,
        tenant_a=TenantFactory(residence=residence_a),
        tenant_a2=TenantFactory(residence=residence_a2),
        tenant_b=TenantFactory(residence=residence_b),
        staff_a=StaffFactory(landlord=landlord_a),
        staff_b=StaffFactory(landlord=landlord_b),
        employer_a=employer_a,
        employer_member=EmployerMemberFactory(employer=employer_a),
    )
