"""Staff create a partner, invite a member (an e-mail with a partner sign-in link) and
choose the rewards it honours, from the console."""

import pytest

from notifications.email import build
from notifications.models import EmailDelivery
from services.loyalty.models import Partner, PartnerMember, Reward
from tests.factories import LandlordFactory, StaffFactory
from tests.factories.loyalty import RewardFactory
from tests.web.conftest import web_client_for

pytestmark = pytest.mark.django_db


def test_staff_create_a_partner_invite_a_member_and_link_rewards():
    landlord = LandlordFactory(name="Habitat Atlantique")
    admin = StaffFactory(landlord=landlord, role="admin").user
    seat = RewardFactory(landlord=landlord, title="Place de cinéma")
    foreign = RewardFactory(title="Ailleurs")
    client = web_client_for(admin)

    response = client.post("/console/loyalty/partners/", {"name": "Cinéma Le Dragon"})
    partner = Partner.objects.get()
    assert response["Location"] == f"/console/loyalty/partners/{partner.public_id}/"
    assert partner.landlord == landlord

    url = f"/console/loyalty/partners/{partner.public_id}/"
    bad = client.post(url, {"email": "pas une adresse", "first_name": "Léa"})
    assert bad.status_code == 200 and 'value="Léa"' in bad.content.decode()
    client.post(url, {"email": "caisse@dragon.example", "first_name": "Léa"})
    member = PartnerMember.objects.get()
    assert member.partner == partner and member.invited_by == admin
    message = build(EmailDelivery.objects.get(notification__recipient=member.user))
    assert "/partenaire/lien/?sesame=" in message.body

    client.post(
        url, {"rewards_sent": "1", "rewards": [str(seat.public_id), str(foreign.public_id)]}
    )
    assert Reward.objects.get(pk=seat.pk).partner == partner
    assert Reward.objects.get(pk=foreign.pk).partner is None
    client.post(url, {"rewards_sent": "1"})
    assert Reward.objects.get(pk=seat.pk).partner is None


def test_an_address_of_another_account_is_refused_beside_the_field():
    landlord = LandlordFactory()
    admin = StaffFactory(landlord=landlord, role="admin").user
    partner = Partner.objects.create(landlord=landlord, name="Cinéma")
    page = web_client_for(admin).post(
        f"/console/loyalty/partners/{partner.public_id}/", {"email": admin.email}
    )
    assert page.status_code == 200
    assert PartnerMember.objects.count() == 0
    assert "form-errors" in page.content.decode()
