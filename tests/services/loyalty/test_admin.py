"""The back-office shows staff only their landlord's ledger, rewards and redemptions."""

import pytest
from django.test import Client

from services.core.admin import ensure_landlord_staff_group
from services.loyalty import actions
from services.loyalty.models import Entry
from tests.factories.loyalty import RewardFactory, give_points

pytestmark = pytest.mark.django_db


def _back_office(staff) -> Client:
    user = staff.user
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.add(ensure_landlord_staff_group())
    client = Client()
    client.force_login(user)
    return client


def test_staff_see_only_their_landlords_loyalty_rows_read_only(world):
    mine = RewardFactory(landlord=world.landlord_a, cost_points=10)
    theirs = RewardFactory(landlord=world.landlord_b, cost_points=10)
    give_points(world.tenant_a, 10)
    give_points(world.tenant_b, 10)
    my_redemption = actions.reward_redeem(tenant=world.tenant_a, reward=mine)
    their_redemption = actions.reward_redeem(tenant=world.tenant_b, reward=theirs)
    client = _back_office(world.staff_a)

    entries = client.get("/admin/loyalty/entry/")
    rewards = client.get("/admin/loyalty/reward/")
    redemptions = client.get("/admin/loyalty/redemption/")

    assert {e.account.tenant_id for e in entries.context["cl"].queryset} == {world.tenant_a.pk}
    assert {r.pk for r in rewards.context["cl"].queryset} == {mine.pk}
    assert {r.pk for r in redemptions.context["cl"].queryset} == {my_redemption.pk}
    assert client.get(f"/admin/loyalty/redemption/{their_redemption.pk}/change/").status_code == 404
    entry = Entry.objects.filter(account__tenant=world.tenant_a).first()
    assert (
        client.post(f"/admin/loyalty/entry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert Entry.objects.filter(pk=entry.pk).exists()
