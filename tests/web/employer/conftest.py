"""Two partner companies of one landlord, each with a member and a proposed candidate."""

from dataclasses import dataclass

import pytest
from django.test import Client
from sesame.utils import get_query_string

from notifications.email import MAGIC_LINK_SCOPE
from services.jobs.models import Match
from tests.factories import (
    EmployerFactory,
    EmployerMemberFactory,
    LandlordFactory,
    ResidenceFactory,
    StaffFactory,
    TenantFactory,
)
from tests.factories.jobs import JobProfileFactory, MatchFactory, OfferFactory


@dataclass
class Companies:
    landlord: object
    staff: object
    member_a: object
    member_b: object
    match_a: object
    match_b: object
    tenant_a: object


def _proposed(landlord, employer, title, **tenant_user):
    tenant = TenantFactory(residence=ResidenceFactory(landlord=landlord), **tenant_user)
    JobProfileFactory(tenant=tenant)
    offer = OfferFactory(employer=employer, title=title)
    return MatchFactory(tenant=tenant, offer=offer, state=Match.State.PROPOSED), tenant


@pytest.fixture
def companies(db):
    landlord = LandlordFactory(name="Habitat Atlantique")
    staff = StaffFactory(landlord=landlord, role="job_advisor").user
    company_a = EmployerFactory(name="Boulangerie Dupain", landlords=[landlord])
    company_b = EmployerFactory(name="Nettoyage Éclat", landlords=[landlord])
    member_a = EmployerMemberFactory(employer=company_a, user__email="a@dupain.example").user
    member_b = EmployerMemberFactory(employer=company_b, user__email="b@eclat.example").user
    match_a, tenant_a = _proposed(
        landlord,
        company_a,
        "Vendeur en boulangerie",
        user__first_name="Zoé",
        user__last_name="Tenantissime",
    )
    match_b, _tenant_b = _proposed(landlord, company_b, "Agent de propreté")
    return Companies(landlord, staff, member_a, member_b, match_a, match_b, tenant_a)


def magic_query(user) -> str:
    return get_query_string(user, scope=MAGIC_LINK_SCOPE)


def signed_in(user) -> Client:
    """A browser that followed the member's magic link and pressed Continue."""
    client = Client()
    token = magic_query(user).split("sesame=", 1)[1]
    response = client.post("/espace/lien/", {"sesame": token, "next": "/espace/"})
    assert response.status_code == 302
    return client
