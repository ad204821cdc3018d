"""Real concurrent transactions on PostgreSQL: redemption never oversells or overspends."""

import threading
from collections import Counter

import pytest
from django.db import connection

from services.core.errors import DomainError
from services.loyalty import actions
from services.loyalty.models import Account, Entry, Redemption, Reward
from services.loyalty.selectors import ledger_audit
from tests.factories import LandlordFactory, ResidenceFactory, StaffFactory, TenantFactory
from tests.factories.loyalty import RewardFactory, give_points

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_at_once(calls) -> Counter:
    """Start every call together, each in its own thread and database connection."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(call):
        try:
            barrier.wait()
            call()
            outcome = "ok"
        except DomainError as exc:
            outcome = exc.code
        except Exception as exc:
            outcome = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return Counter(outcomes)


def test_fifty_tenants_on_ten_in_stock_get_exactly_ten():
    landlord = LandlordFactory()
    residence = ResidenceFactory(landlord=landlord)
    tenants = [TenantFactory(residence=residence) for _ in range(50)]
    for tenant in tenants:
        give_points(tenant, 100)
    reward = RewardFactory(landlord=landlord, cost_points=100, stock=10)

    def redeem(tenant):
        return lambda: actions.reward_redeem(tenant=tenant, reward=Reward.objects.get(pk=reward.pk))

    outcomes = run_at_once([redeem(tenant) for tenant in tenants])

    assert outcomes == Counter({"ok": 10, "out_of_stock": 40})
    assert Redemption.objects.count() == 10
    assert Reward.objects.get(pk=reward.pk).stock == 0
    assert Account.objects.filter(balance__lt=0).count() == 0
    assert sorted(Account.objects.values_list("balance", flat=True)) == [0] * 10 + [100] * 40
    assert Entry.objects.filter(kind="spend").count() == 10
    assert len(set(Redemption.objects.values_list("code", flat=True))) == 10
    assert ledger_audit() == []


def test_one_tenant_firing_twenty_with_points_for_three_gets_three():
    landlord = LandlordFactory()
    tenant = TenantFactory(residence=ResidenceFactory(landlord=landlord))
    give_points(tenant, 150)
    give_points(tenant, 150)  # two lots: consumption crosses them
    reward = RewardFactory(landlord=landlord, cost_points=100, stock=None)

    outcomes = run_at_once(
        [
            lambda: actions.reward_redeem(tenant=tenant, reward=Reward.objects.get(pk=reward.pk))
            for _ in range(20)
        ]
    )

    assert outcomes == Counter({"ok": 3, "insufficient_points": 17})
    assert Redemption.objects.count() == 3
    assert Account.objects.get(tenant=tenant).balance == 0
    assert ledger_audit() == []


def test_mixed_redeem_cancel_validate_and_earn_do_not_deadlock():
    landlord = LandlordFactory()
    residence = ResidenceFactory(landlord=landlord)
    tenants = [TenantFactory(residence=residence) for _ in range(6)]
    staff = StaffFactory(landlord=landlord).user
    reward = RewardFactory(landlord=landlord, cost_points=10, stock=100)
    issued = []
    for tenant in tenants:
        give_points(tenant, 100)
        issued.append(actions.reward_redeem(tenant=tenant, reward=reward))
    calls = []
    for index, tenant in enumerate(tenants):
        redemption = issued[index]
        calls += [
            lambda t=tenant: actions.reward_redeem(
                tenant=t, reward=Reward.objects.get(pk=reward.pk)
            ),
            lambda r=redemption: actions.redemption_cancel(actor=staff, redemption=r),
            lambda r=redemption: actions.redemption_validate(
                actor=staff, landlord_id=landlord.pk, code=r.code
            ),
            lambda t=tenant: give_points(t, 5),
            lambda t=tenant: actions.points_grant(actor=staff, tenant=t, points=-5, reason="x"),
        ]
    outcomes = run_at_once(calls)

    assert not [o for o in outcomes if o.startswith("error")], outcomes
    # Each voucher was either cancelled or used, never both.
    statuses = Counter(r.status for r in Redemption.objects.filter(pk__in=[r.pk for r in issued]))
    assert statuses["cancelled"] + statuses["used"] == 6
    assert (
        Reward.objects.get(pk=reward.pk).stock
        == 100 - Redemption.objects.exclude(status="cancelled").count()
    )
    assert ledger_audit() == []


def test_concurrent_first_earnings_create_one_account_and_keep_every_point():
    tenant = TenantFactory()
    outcomes = run_at_once(
        [lambda key=f"k{i}": give_points(tenant, 7, key=key) for i in range(10)]
        + [lambda: give_points(tenant, 7, key="same") for _ in range(5)]
    )
    assert outcomes == Counter({"ok": 15})
    assert Account.objects.filter(tenant=tenant).count() == 1
    assert Account.objects.get(tenant=tenant).balance == 77
    assert Entry.objects.filter(account__tenant=tenant).count() == 11
    assert ledger_audit() == []
