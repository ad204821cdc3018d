"""Each nightly loyalty task goes on past one poisoned item: logged with its id, counted, the
others processed, and every ledger still balances (issue 10 §4)."""

import datetime

import pytest
from dateutil.relativedelta import relativedelta

from notifications.models import Notification
from services.loyalty import actions, tasks
from services.loyalty.models import Account, Entry, Lot, Redemption
from tests.factories.loyalty import RewardFactory, give_points
from tests.poison import failed_ids, refuse

from .conftest import T0

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock", "sound_ledger")]

EXPIRY = T0 + relativedelta(months=24)


def _account(tenant) -> Account:
    return Account.objects.get(tenant=tenant)


def test_expiry_goes_on_past_an_account_the_database_refuses(world, clock, caplog):
    give_points(world.tenant_a, 40)
    give_points(world.tenant_a2, 15)
    poisoned = _account(world.tenant_a)
    refuse(Account, on="UPDATE", when=f"OLD.id = {poisoned.pk}")
    clock.move_to(EXPIRY)

    assert tasks.points_expire() == 15

    assert Entry.objects.filter(kind="expire").get().account_id == _account(world.tenant_a2).pk
    assert _account(world.tenant_a).balance == 40  # left as it was, for the next night
    assert failed_ids(caplog, "loyalty.points_expire") == [str(poisoned.pk)]


def test_the_expiry_warning_goes_on_past_an_account_the_database_refuses(world, clock, caplog):
    give_points(world.tenant_a, 40)
    give_points(world.tenant_a2, 15)
    poisoned = _account(world.tenant_a)
    refuse(Lot, on="UPDATE", when=f"OLD.account_id = {poisoned.pk}")
    clock.move_to(EXPIRY - datetime.timedelta(days=30))

    assert tasks.points_expiry_warn() == 1

    told = Notification.objects.filter(kind="loyalty.points_expiring").values_list(
        "recipient", flat=True
    )
    assert list(told) == [world.tenant_a2.user_id]
    assert failed_ids(caplog, "loyalty.points_expiry_warn") == [str(poisoned.pk)]


def test_vouchers_expire_past_one_the_database_refuses(world, clock, caplog):
    reward = RewardFactory(landlord=world.landlord_a, cost_points=10, validity_days=30)
    redemptions = []
    for tenant in (world.tenant_a, world.tenant_a2, world.tenant_a):
        give_points(tenant, 10)
        redemptions.append(actions.reward_redeem(tenant=tenant, reward=reward))
    poisoned = redemptions[1]
    refuse(Redemption, on="UPDATE", when=f"OLD.id = {poisoned.pk}")
    clock.move_to(max(r.expires_at for r in redemptions))

    assert tasks.vouchers_expire() == 2

    statuses = dict(Redemption.objects.values_list("pk", "status"))
    assert statuses == {
        redemptions[0].pk: "expired",
        poisoned.pk: "issued",
        redemptions[2].pk: "expired",
    }
    assert failed_ids(caplog, "loyalty.vouchers_expire") == [str(poisoned.pk)]


def test_anniversaries_go_on_past_a_tenant_the_database_refuses(world, clock, caplog):
    for tenant in (world.tenant_a, world.tenant_a2):
        tenant.tenancy.start_date = datetime.date(2022, 3, 10)
        tenant.tenancy.save()
    accounts = Account._meta.db_table
    refuse(
        Entry,
        on="INSERT",
        when=f"NEW.account_id IN (SELECT id FROM {accounts} WHERE tenant_id = {world.tenant_a.pk})",
    )

    assert tasks.tenancy_anniversaries() == 1

    assert _account(world.tenant_a2).balance == 50
    assert not Entry.objects.filter(account__tenant=world.tenant_a).exists()
    assert failed_ids(caplog, "loyalty.tenancy_anniversaries") == [str(world.tenant_a.pk)]
