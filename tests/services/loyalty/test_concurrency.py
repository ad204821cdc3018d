"""Real concurrent transactions on PostgreSQL: redemption never oversells or overspends."""

import threading
from collections import Counter

import pytest
from django.db import connection

from notifications.models import Notification
from services.core.errors import DomainError
from services.loyalty import actions
from services.loyalty.models import Account, EarningRule, Entry, Redemption, Reward
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
    # A redemption that rolled back sent nothing: one inbox row per voucher issued.
    assert Notification.objects.filter(kind="loyalty.redemption_issued").count() == 10
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


def test_a_voucher_is_validated_or_cancelled_once_whoever_races():
    landlord = LandlordFactory()
    tenant = TenantFactory(residence=ResidenceFactory(landlord=landlord))
    counters = [StaffFactory(landlord=landlord).user for _ in range(3)]
    reward = RewardFactory(landlord=landlord, cost_points=40, stock=5)
    give_points(tenant, 100)
    stamped = actions.reward_redeem(tenant=tenant, reward=reward)
    refunded = actions.reward_redeem(tenant=tenant, reward=reward)

    outcomes = run_at_once(
        [
            lambda s=staff: actions.redemption_validate(
                actor=s, landlord_id=landlord.pk, code=stamped.code
            )
            for staff in counters * 3
        ]
        + [
            lambda s=staff: actions.redemption_cancel(actor=s, redemption=refunded)
            for staff in counters * 3
        ]
    )

    assert outcomes == Counter({"ok": 2, "already_used": 8, "not_cancellable": 8})
    assert Redemption.objects.get(pk=stamped.pk).status == "used"
    assert Redemption.objects.get(pk=refunded.pk).status == "cancelled"
    assert Entry.objects.filter(kind="reverse").count() == 1
    assert Account.objects.get(tenant=tenant).balance == 60
    assert Reward.objects.get(pk=reward.pk).stock == 4
    assert ledger_audit() == []


def test_concurrent_saves_of_one_earning_rule_neither_fail_nor_lose_a_field():
    landlord = LandlordFactory()
    staff = StaffFactory(landlord=landlord).user

    def save(**fields):
        return lambda: actions.earning_rule_save(
            actor=staff, landlord=landlord, code="hire", **fields
        )

    outcomes = run_at_once(
        [save(points=300), save(cap_points=600, cap_period="year"), save(is_active=False)] * 2
    )

    assert outcomes == Counter({"ok": 6})
    rule = EarningRule.objects.get(landlord=landlord, code="hire")
    assert (rule.points, rule.cap_points, rule.cap_period, rule.is_active) == (
        300,
        600,
        "year",
        False,
    )
