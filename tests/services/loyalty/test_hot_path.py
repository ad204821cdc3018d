"""Issue 17: the redemption hot path on PostgreSQL, real concurrent transactions.

Refusals that need no lock do not wait for the lock holders; the stock reserved before the
transaction is given back by every redemption that fails; exactly once per key; a rollback
leaves no inbox row."""

import threading
from collections import Counter

import pytest
from django.db import OperationalError, connection, transaction

from notifications.models import Notification
from services.loyalty import actions
from services.loyalty.models import Account, Entry, Redemption, Reward, VoucherCode
from services.loyalty.selectors import ledger_audit
from tests.conftest import client_for
from tests.factories import LandlordFactory, ResidenceFactory, TenantFactory
from tests.factories.loyalty import RewardFactory, give_points

from .test_concurrency import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def fresh(reward):
    return Reward.objects.get(pk=reward.pk)


class RowHolder:
    """Another transaction holding the reward's row lock (a staff edit in progress)."""

    def __init__(self, reward):
        self.reward, self.locked, self.done = reward, threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold)

    def _hold(self):
        try:
            with transaction.atomic():
                Reward.objects.select_for_update().get(pk=self.reward.pk)
                self.locked.set()
                self.done.wait(timeout=30)
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        assert self.locked.wait(timeout=10)
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join(timeout=30)


def lock_timeout(ms: int):
    with connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = '{int(ms)}ms'")


@pytest.mark.parametrize(
    "change", [{"stock": 0}, {"is_active": False}], ids=["sold_out", "unavailable"]
)
def test_a_reward_that_is_gone_is_refused_without_waiting_for_the_lock_holder(change):
    tenant = TenantFactory()
    give_points(tenant, 500)
    reward = RewardFactory(landlord=tenant.landlord, cost_points=100, **{"stock": 5, **change})
    lock_timeout(300)  # waiting for the holder would raise instead of refusing
    gone = (actions.OutOfStock, actions.NotAvailable)
    with RowHolder(reward), pytest.raises(gone) as refused:
        actions.reward_redeem(tenant=tenant, reward=fresh(reward))
    assert refused.value.code == ("out_of_stock" if "stock" in change else "not_available")
    assert Redemption.objects.count() == 0
    assert Account.objects.get(tenant=tenant).balance == 500


def test_a_burst_sold_out_meanwhile_is_refused_without_waiting_for_the_lock_holder():
    # The caller read the reward while units were left (the API's read, a burst's late
    # arrivals): the refusal still neither writes nor waits for the row's holder.
    tenant = TenantFactory()
    give_points(tenant, 500)
    reward = RewardFactory(landlord=tenant.landlord, cost_points=100, stock=5)
    stale = fresh(reward)
    Reward.objects.filter(pk=reward.pk).update(stock=0)
    lock_timeout(300)
    with RowHolder(reward), pytest.raises(actions.OutOfStock):
        actions.reward_redeem(tenant=tenant, reward=stale)
    assert (fresh(reward).stock, Redemption.objects.count(), Notification.objects.count()) == (
        0,
        0,
        0,
    )
    assert Account.objects.get(tenant=tenant).balance == 500


def test_a_sold_out_redeem_through_the_api_answers_while_a_staff_edit_holds_the_reward():
    # The whole request (the view's read of the reward, the idempotency record, the action)
    # answers out_of_stock while another transaction still holds the reward's row.
    tenant = TenantFactory()
    give_points(tenant, 500)
    reward = RewardFactory(landlord=tenant.landlord, cost_points=100, stock=0)
    client = client_for(tenant.user)
    lock_timeout(300)  # the request's queries run on this connection: a wait would raise
    with RowHolder(reward) as holder:
        response = client.post(
            f"/api/v1/loyalty/rewards/{reward.public_id}/redeem/", HTTP_IDEMPOTENCY_KEY="tap-1"
        )
        held_meanwhile = holder.thread.is_alive() and not holder.done.is_set()
    assert (response.status_code, response.json()["code"]) == (409, "out_of_stock")
    assert held_meanwhile
    assert (Redemption.objects.count(), Notification.objects.count()) == (0, 0)
    assert Account.objects.get(tenant=tenant).balance == 500


def test_the_lock_timeout_probe_does_catch_a_redemption_that_waits():
    # The control of the test above: with stock left, a redemption does wait for the holder.
    tenant = TenantFactory()
    give_points(tenant, 500)
    reward = RewardFactory(landlord=tenant.landlord, cost_points=100, stock=5)
    lock_timeout(300)
    with RowHolder(reward), pytest.raises(OperationalError):
        actions.reward_redeem(tenant=tenant, reward=fresh(reward))
    assert fresh(reward).stock == 5
    assert Redemption.objects.count() == 0


def test_one_key_fired_twenty_times_at_once_redeems_once():
    tenant = TenantFactory()
    give_points(tenant, 1000)
    reward = RewardFactory(landlord=tenant.landlord, cost_points=100, stock=50)

    outcomes = run_at_once(
        [
            lambda: actions.reward_redeem(tenant=tenant, reward=fresh(reward), idempotency_key="k")
            for _ in range(20)
        ]
    )

    assert outcomes == Counter({"ok": 20})  # each one answers with the same redemption
    assert Redemption.objects.count() == 1
    assert Entry.objects.filter(kind="spend").count() == 1
    assert Account.objects.get(tenant=tenant).balance == 900
    assert fresh(reward).stock == 49  # every reservation of a replay was given back
    assert Notification.objects.filter(recipient=tenant.user).count() == 1
    assert ledger_audit() == []


def test_the_limit_holds_under_parallel_requests_and_gives_the_stock_back():
    tenant = TenantFactory()
    give_points(tenant, 1000)
    reward = RewardFactory(landlord=tenant.landlord, cost_points=10, stock=30, limit_per_tenant=2)

    outcomes = run_at_once(
        [lambda: actions.reward_redeem(tenant=tenant, reward=fresh(reward)) for _ in range(12)]
    )

    assert outcomes == Counter({"ok": 2, "limit_reached": 10})
    assert Redemption.objects.count() == 2
    assert fresh(reward).stock == 28
    assert Account.objects.get(tenant=tenant).balance == 980
    assert Notification.objects.count() == 2  # the refused ones rolled back their inbox row
    assert ledger_audit() == []


def test_a_burst_on_the_last_units_sells_each_once_and_rolls_back_the_rest():
    landlord = LandlordFactory()
    residence = ResidenceFactory(landlord=landlord)
    tenants = [TenantFactory(residence=residence) for _ in range(30)]
    for tenant in tenants:
        give_points(tenant, 100)
    poor = TenantFactory(residence=residence)
    give_points(poor, 50)
    reward = RewardFactory(landlord=landlord, cost_points=100, stock=5)

    outcomes = run_at_once(
        [lambda t=t: actions.reward_redeem(tenant=t, reward=fresh(reward)) for t in tenants]
        + [lambda: actions.reward_redeem(tenant=poor, reward=fresh(reward))]
    )

    # The poor tenant hears insufficient_points, or out_of_stock once the units are gone.
    assert outcomes["ok"] == 5
    assert outcomes["out_of_stock"] + outcomes["insufficient_points"] == 26
    assert outcomes["insufficient_points"] <= 1
    assert fresh(reward).stock == 0
    assert Redemption.objects.count() == 5
    assert Notification.objects.filter(kind="loyalty.redemption_issued").count() == 5
    assert sorted(Account.objects.values_list("balance", flat=True)) == [0] * 5 + [50] + [100] * 25
    assert ledger_audit() == []


def test_a_pool_hands_each_partner_code_out_once_under_a_burst():
    landlord = LandlordFactory()
    residence = ResidenceFactory(landlord=landlord)
    tenants = [TenantFactory(residence=residence) for _ in range(20)]
    for tenant in tenants:
        give_points(tenant, 100)
    pool = RewardFactory(landlord=landlord, kind="pool_code", stock=5, cost_points=100)
    for n in range(5):
        VoucherCode.objects.create(reward=pool, code=f"PART-{n}")

    outcomes = run_at_once(
        [lambda t=t: actions.reward_redeem(tenant=t, reward=fresh(pool)) for t in tenants]
    )

    assert outcomes == Counter({"ok": 5, "out_of_stock": 15})
    assert sorted(Redemption.objects.values_list("code", flat=True)) == [
        f"PART-{n}" for n in range(5)
    ]
    assert fresh(pool).stock == 0
    assert VoucherCode.objects.filter(assigned_at__isnull=True).count() == 0
    assert ledger_audit() == []
