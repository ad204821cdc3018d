"""Issue 10 §3: a partner's pool code, once shown, cannot be harvested by cancelling."""

import logging

import pytest

from services.loyalty import actions
from services.loyalty.models import Account, Entry, Redemption, Reward, VoucherCode
from tests.factories.loyalty import RewardFactory, give_points

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock", "sound_ledger")]


def balance(tenant) -> int:
    return Account.objects.get(tenant=tenant).balance


@pytest.fixture
def pool(world):
    reward = RewardFactory(
        landlord=world.landlord_a, kind="pool_code", stock=0, cost_points=100, title="Boulangerie"
    )
    actions.voucher_codes_upload(
        actor=world.staff_a.user, reward=reward, codes=[f"PAIN-{n}" for n in range(1, 6)]
    )
    reward.refresh_from_db()
    return reward


def test_the_harvest_of_the_issue_fails_closed(world, pool):
    # One tenant used to read 5 of 5 codes (redeem, read, cancel) and keep every point.
    give_points(world.tenant_a, 100)
    seen = []
    for _ in range(5):
        try:
            redemption = actions.reward_redeem(tenant=world.tenant_a, reward=pool)
        except actions.InsufficientPoints:
            break
        seen.append(redemption.code)
        with pytest.raises(actions.CodeRevealed):
            actions.redemption_cancel(actor=world.tenant_a.user, redemption=redemption)
    assert seen == ["PAIN-1"]  # one code, paid for
    assert balance(world.tenant_a) == 0
    assert Redemption.objects.get().status == "issued"
    assert Entry.objects.filter(kind="reverse").count() == 0
    # The next tenant still gets a code.
    give_points(world.tenant_a2, 100)
    assert actions.reward_redeem(tenant=world.tenant_a2, reward=pool).code == "PAIN-2"


def test_staff_cancel_a_revealed_code_with_a_reason_logged_and_it_never_returns(
    world, pool, caplog
):
    give_points(world.tenant_a, 100)
    redemption = actions.reward_redeem(tenant=world.tenant_a, reward=pool)
    with pytest.raises(actions.ReasonRequired):
        actions.redemption_cancel(actor=world.staff_a.user, redemption=redemption, reason=" ")
    assert balance(world.tenant_a) == 0
    with caplog.at_level(logging.WARNING, logger="services.loyalty.actions"):
        cancelled = actions.redemption_cancel(
            actor=world.staff_a.user, redemption=redemption, reason="Code refusé en caisse"
        )
    assert cancelled.status == "cancelled"
    assert balance(world.tenant_a) == 100
    refund = cancelled.refund_entry
    assert (refund.points, refund.issuer, refund.note) == (
        100,
        world.staff_a.user,
        "Code refusé en caisse",
    )
    [record] = [r for r in caplog.records if "revealed partner code" in r.getMessage()]
    assert str(redemption.public_id) in record.getMessage()
    assert "Code refusé en caisse" in record.getMessage()
    # The code stays claimed and out of the stock: nobody is handed PAIN-1 again.
    assert VoucherCode.objects.get(code="PAIN-1").assigned_at is not None
    assert Reward.objects.get(pk=pool.pk).stock == 4
    give_points(world.tenant_a2, 100)
    assert actions.reward_redeem(tenant=world.tenant_a2, reward=pool).code == "PAIN-2"


def test_a_cancelled_revealed_code_still_counts_against_the_limit(world, pool):
    Reward.objects.filter(pk=pool.pk).update(limit_per_tenant=1)
    pool.refresh_from_db()
    give_points(world.tenant_a, 300)
    first = actions.reward_redeem(tenant=world.tenant_a, reward=pool)
    actions.redemption_cancel(actor=world.staff_a.user, redemption=first, reason="erreur")
    with pytest.raises(actions.LimitReached):
        actions.reward_redeem(tenant=world.tenant_a, reward=pool)
    assert balance(world.tenant_a) == 300
    assert Redemption.objects.filter(account__tenant=world.tenant_a).count() == 1


def test_a_generated_code_is_still_cancelled_by_the_tenant_and_dies(world):
    reward = RewardFactory(landlord=world.landlord_a, cost_points=100, stock=3, limit_per_tenant=1)
    give_points(world.tenant_a, 100)
    redemption = actions.reward_redeem(tenant=world.tenant_a, reward=reward)
    actions.redemption_cancel(actor=world.tenant_a.user, redemption=redemption)
    assert balance(world.tenant_a) == 100
    assert Reward.objects.get(pk=reward.pk).stock == 3
    with pytest.raises(actions.VoucherCancelled):
        actions.redemption_validate(
            actor=world.staff_a.user, landlord_id=world.landlord_a.pk, code=redemption.code
        )
    # The dead code does not count: the tenant may redeem again.
    actions.reward_redeem(tenant=world.tenant_a, reward=reward)
    assert balance(world.tenant_a) == 0


def test_other_landlords_staff_cannot_cancel_a_revealed_code(world, pool):
    give_points(world.tenant_a, 100)
    redemption = actions.reward_redeem(tenant=world.tenant_a, reward=pool)
    with pytest.raises(actions.CannotCancel):
        actions.redemption_cancel(actor=world.staff_b.user, redemption=redemption, reason="x")
    assert Redemption.objects.get().status == "issued"
