"""Two partners of one landlord (a cinema and a grocer), each with a member and a voucher."""

from dataclasses import dataclass

import pytest
from django.test import Client
from sesame.utils import get_query_string

from services.loyalty import actions, partners
from services.loyalty.notifications import PARTNER_SCOPE
from tests.factories import (
    EmployerMemberFactory,
    LandlordFactory,
    ResidenceFactory,
    StaffFactory,
    TenantFactory,
)
from tests.factories.loyalty import RewardFactory, give_points


@dataclass
class Partners:
    landlord: object
    staff: object
    cinema: object
    member: object
    other_member: object
    employer_member: object
    tenant: object
    voucher: object
    other_voucher: object
    foreign_voucher: object


@pytest.fixture
def world(db):
    landlord = LandlordFactory(name="Habitat Atlantique")
    staff = StaffFactory(landlord=landlord, role="admin").user
    cinema = partners.partner_create(actor=staff, name="Cinéma Le Dragon")
    grocer = partners.partner_create(actor=staff, name="Épicerie du Port")
    member = partners.partner_member_invite(
        actor=staff, partner=cinema, email="caisse@dragon.example", first_name="Léa"
    ).user
    other_member = partners.partner_member_invite(
        actor=staff, partner=grocer, email="caisse@epicerie.example"
    ).user
    seat = RewardFactory(landlord=landlord, title="Place de cinéma")
    basket = RewardFactory(landlord=landlord, title="Panier de fruits")
    partners.partner_rewards_set(actor=staff, partner=cinema, rewards=[seat])
    partners.partner_rewards_set(actor=staff, partner=grocer, rewards=[basket])
    tenant = TenantFactory(residence=ResidenceFactory(landlord=landlord))
    give_points(tenant, 1000)
    voucher = actions.reward_redeem(tenant=tenant, reward=seat)
    other_voucher = actions.reward_redeem(tenant=tenant, reward=basket)
    other_landlord = LandlordFactory()
    foreign_tenant = TenantFactory(residence=ResidenceFactory(landlord=other_landlord))
    give_points(foreign_tenant, 1000)
    foreign_voucher = actions.reward_redeem(
        tenant=foreign_tenant, reward=RewardFactory(landlord=other_landlord)
    )
    return Partners(
        landlord,
        staff,
        cinema,
        member,
        other_member,
        EmployerMemberFactory().user,
        tenant,
        voucher,
        other_voucher,
        foreign_voucher,
    )


def token_of(user) -> str:
    return get_query_string(user, scope=PARTNER_SCOPE).split("sesame=", 1)[1]


def signed_in(user) -> Client:
    """A browser that followed the member's magic link and pressed Continue."""
    client = Client()
    response = client.post("/partenaire/lien/", {"sesame": token_of(user), "next": "/partenaire/"})
    assert response.status_code == 302, response.status_code
    return client
