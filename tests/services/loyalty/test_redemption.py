"""Redeeming, refusing without side effects, cancelling, validating, code pools."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import Notification
from services.core.errors import NotAllowed
from services.loyalty import actions, selectors
from services.loyalty.models import Account, Entry, Lot, Redemption, Reward, VoucherCode
from tests.factories import StaffFactory
from tests.factories.loyalty import RewardFactory, give_points

from .conftest import T0

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock", "sound_ledger")]


def balance(tenant) -> int:
    return Account.objects.get(tenant=tenant).balance


@pytest.fixture
def reward(world):
    return RewardFactory(landlord=world.landlord_a, cost_points=100, stock=2, title="Cinéma")


def assert_nothing_written(tenant, points, stock, reward):
    assert balance(tenant) == points
    reward.refresh_from_db()
    assert reward.stock == stock
    assert Redemption.objects.count() == 0
    assert Entry.objects.filter(kind="spend").count() == 0


def test_redeem_spends_takes_stock_and_issues_a_code(world, reward):
    give_points(world.tenant_a, 150)
    redemption = actions.reward_redeem(tenant=world.tenant_a, reward=reward)
    assert redemption.status == "issued"
    assert len(redemption.code) == 10
    assert redemption.expires_at == T0 + datetime.timedelta(days=30)
    assert redemption.spend_entry.points == -100
    assert balance(world.tenant_a) == 50
    reward.refresh_from_db()
    assert reward.stock == 1
    note = Notification.objects.get(recipient=world.tenant_a.user)
    assert note.kind == "loyalty.redemption_issued"
    assert note.title == "Votre récompense : Cinéma"
    assert redemption.code in note.body


def test_redeem_refuses_without_enough_points_and_writes_nothing(world, reward):
    give_points(world.tenant_a, 99)
    with pytest.raises(actions.InsufficientPoints):
        actions.reward_redeem(tenant=world.tenant_a, reward=reward)
    assert_nothing_written(world.tenant_a, 99, 2, reward)


def test_redeem_refuses_when_stock_is_gone(world, reward):
    give_points(world.tenant_a, 500)
    reward.stock = 0
    reward.save()
    with pytest.raises(actions.OutOfStock):
        actions.reward_redeem(tenant=world.tenant_a, reward=reward)
    assert_nothing_written(world.tenant_a, 500, 0, reward)


def test_redeem_with_a_stale_stock_in_memory_still_refuses_and_rolls_back(world, reward):
    give_points(world.tenant_a, 500)
    Reward.objects.filter(pk=reward.pk).update(stock=0)  # reward in memory still says 2
    with pytest.raises(actions.OutOfStock):
        actions.reward_redeem(tenant=world.tenant_a, reward=reward)
    reward.stock = 0
    assert_nothing_written(world.tenant_a, 500, 0, reward)


@pytest.mark.parametrize(
    ("change", "error"),
    [({"stock": 0}, actions.OutOfStock), ({"is_active": False}, actions.NotAvailable)],
    ids=["sold_out", "unavailable"],
)
def test_a_reward_read_as_gone_is_refused_before_any_statement(world, reward, change, error):
    # The API's view has just read the reward: the refusal needs no lock, no write, not even
    # a statement, so it cannot queue behind the holders of the reward's or account's row.
    give_points(world.tenant_a, 500)
    Reward.objects.filter(pk=reward.pk).update(**change)
    reward.refresh_from_db()
    with CaptureQueriesContext(connection) as queries, pytest.raises(error):
        actions.reward_redeem(tenant=world.tenant_a, reward=reward)
    assert [query["sql"] for query in queries.captured_queries] == []
    assert_nothing_written(world.tenant_a, 500, change.get("stock", 2), reward)


def test_a_replay_is_answered_once_the_reward_is_sold_out_or_withdrawn(world, reward):
    give_points(world.tenant_a, 300)
    first = actions.reward_redeem(tenant=world.tenant_a, reward=reward, idempotency_key="k")
    Reward.objects.filter(pk=reward.pk).update(stock=0, is_active=False)
    reward.refresh_from_db()
    again = actions.reward_redeem(tenant=world.tenant_a, reward=reward, idempotency_key="k")
    assert again.pk == first.pk
    assert balance(world.tenant_a) == 200


def test_the_entry_and_voucher_are_written_as_save_would_write_them(world, reward):
    # The hot path inserts them without the queryset machinery (actions._insert): every
    # column as Django writes it, and the returned objects are saved rows, not new ones.
    give_points(world.tenant_a, 150)
    redemption = actions.reward_redeem(tenant=world.tenant_a, reward=reward, idempotency_key="k")

    def columns(row):
        return {f.attname: getattr(row, f.attname) for f in type(row)._meta.concrete_fields}

    stored = Redemption.objects.get(public_id=redemption.public_id)
    assert columns(redemption) == columns(stored)
    assert columns(redemption.spend_entry) == columns(Entry.objects.get(pk=stored.spend_entry_id))
    assert (stored.status, stored.created_at, stored.updated_at) == ("issued", T0, T0)
    spend = stored.spend_entry
    assert (spend.kind, spend.points, spend.reason, spend.idempotency_key) == (
        "spend",
        -100,
        "redemption",
        "redeem:k",
    )
    assert (spend.note, spend.issuer_id, spend.reverses_id, spend.created_at) == (
        "",
        None,
        None,
        T0,
    )
    assert spend.public_id is not None and spend.public_id != stored.public_id
    assert not redemption._state.adding and not redemption.spend_entry._state.adding
    redemption.save(update_fields=["updated_at"])  # an UPDATE of that row (it raises if none)
    assert Redemption.objects.count() == 1


def test_redeem_respects_the_limit_per_tenant_but_not_cancelled_ones(world, reward):
    reward.limit_per_tenant = 1
    reward.save()
    give_points(world.tenant_a, 300)
    first = actions.reward_redeem(tenant=world.tenant_a, reward=reward)
    with pytest.raises(actions.LimitReached):
        actions.reward_redeem(tenant=world.tenant_a, reward=reward)
    actions.redemption_cancel(actor=world.tenant_a.user, redemption=first)
    actions.reward_redeem(tenant=world.tenant_a, reward=reward)
    assert balance(world.tenant_a) == 200


@pytest.mark.parametrize(
    "change",
    [
        {"is_active": False},
        {"available_from": T0 + datetime.timedelta(seconds=1)},
        {"available_until": T0},
    ],
)
def test_redeem_refuses_outside_the_active_window(world, reward, change):
    give_points(world.tenant_a, 300)
    for key, value in change.items():
        setattr(reward, key, value)
    reward.save()
    with pytest.raises(actions.NotAvailable):
        actions.reward_redeem(tenant=world.tenant_a, reward=reward)
    assert_nothing_written(world.tenant_a, 300, 2, reward)


def test_redeem_of_another_landlords_reward_is_not_found(world, reward):
    give_points(world.tenant_b, 300)
    with pytest.raises(Exception) as exc:
        actions.reward_redeem(tenant=world.tenant_b, reward=reward)
    assert exc.value.status == 404


def test_redeem_with_the_same_idempotency_key_returns_the_first(world, reward):
    give_points(world.tenant_a, 300)
    first = actions.reward_redeem(tenant=world.tenant_a, reward=reward, idempotency_key="k")
    again = actions.reward_redeem(tenant=world.tenant_a, reward=reward, idempotency_key="k")
    assert again.pk == first.pk
    assert balance(world.tenant_a) == 200


def test_long_idempotency_keys_sharing_a_prefix_are_two_redemptions(world, reward):
    # The API accepts keys of 255 characters; cutting them to fit would replay the wrong one.
    give_points(world.tenant_a, 300)
    prefix = "k" * 240
    first = actions.reward_redeem(
        tenant=world.tenant_a, reward=reward, idempotency_key=prefix + "1"
    )
    other = actions.reward_redeem(
        tenant=world.tenant_a, reward=reward, idempotency_key=prefix + "2"
    )
    again = actions.reward_redeem(
        tenant=world.tenant_a, reward=reward, idempotency_key=prefix + "1"
    )
    assert other.pk != first.pk
    assert again.pk == first.pk
    assert balance(world.tenant_a) == 100
    assert max(len(k) for k in Entry.objects.values_list("idempotency_key", flat=True) if k) <= 200


def test_unlimited_stock_stays_unlimited(world, reward):
    reward.stock = None
    reward.save()
    give_points(world.tenant_a, 300)
    for _ in range(3):
        actions.reward_redeem(tenant=world.tenant_a, reward=reward)
    reward.refresh_from_db()
    assert reward.stock is None


def test_cancel_returns_points_into_the_same_lots_and_the_stock(world, reward):
    give_points(world.tenant_a, 150)
    redemption = actions.reward_redeem(tenant=world.tenant_a, reward=reward)
    cancelled = actions.redemption_cancel(actor=world.tenant_a.user, redemption=redemption)
    assert cancelled.status == "cancelled"
    assert cancelled.refund_entry.points == 100
    assert cancelled.refund_entry.kind == "reverse"
    assert cancelled.refund_entry.reverses_id == redemption.spend_entry_id
    assert balance(world.tenant_a) == 150
    reward.refresh_from_db()
    assert reward.stock == 2
    with pytest.raises(actions.NotCancellable):
        actions.redemption_cancel(actor=world.staff_a.user, redemption=cancelled)
    assert balance(world.tenant_a) == 150


def test_cancel_after_a_reversal_into_debt_repays_the_debt_first(world, reward):
    give_points(world.tenant_a, 100, key="signup:1")
    redemption = actions.reward_redeem(tenant=world.tenant_a, reward=reward)
    actions.points_reverse(tenant=world.tenant_a, idempotency_key="signup:1", reason="no-show")
    account = Account.objects.get(tenant=world.tenant_a)
    assert (account.balance, account.debt) == (0, 100)
    actions.redemption_cancel(actor=world.staff_a.user, redemption=redemption)
    account.refresh_from_db()
    # The refund pays back what is owed: no spendable points the tenant no longer has.
    assert (account.balance, account.debt) == (0, 0)
    assert selectors.account_summary(tenant=world.tenant_a).balance == 0
    assert Lot.objects.get().remaining == 0


def test_cancel_partly_repays_debt_and_refills_the_longest_lived_lot_first(world, reward, clock):
    give_points(world.tenant_a, 60, key="old")
    clock.move_to(T0 + datetime.timedelta(days=10))
    give_points(world.tenant_a, 60, key="new")
    redemption = actions.reward_redeem(tenant=world.tenant_a, reward=reward)  # 60 + 40
    actions.points_reverse(tenant=world.tenant_a, idempotency_key="old", reason="error")
    account = Account.objects.get(tenant=world.tenant_a)
    assert (account.balance, account.debt) == (0, 40)  # the 20 left in "new", then 40 owed
    actions.redemption_cancel(actor=world.tenant_a.user, redemption=redemption)
    account.refresh_from_db()
    assert (account.balance, account.debt) == (60, 0)
    # The spend took 60 from "old" and 40 from "new": "new" gets its 40 back, "old" the rest.
    remaining = dict(Lot.objects.values_list("entry__idempotency_key", "remaining"))
    assert remaining == {"old": 20, "new": 40}


def test_nobody_cancels_a_voucher_past_its_validity_even_before_the_nightly_expiry(
    world, reward, clock
):
    give_points(world.tenant_a, 150)
    redemption = actions.reward_redeem(tenant=world.tenant_a, reward=reward)
    clock.move_to(redemption.expires_at)
    for actor in (world.tenant_a.user, world.staff_a.user):
        with pytest.raises(actions.NotCancellable):
            actions.redemption_cancel(actor=actor, redemption=redemption)
    assert balance(world.tenant_a) == 50


def test_a_voucher_can_be_cancelled_up_to_its_last_second(world, reward, clock):
    give_points(world.tenant_a, 150)
    redemption = actions.reward_redeem(tenant=world.tenant_a, reward=reward)
    clock.move_to(redemption.expires_at - datetime.timedelta(seconds=1))
    actions.redemption_cancel(actor=world.staff_a.user, redemption=redemption)
    assert balance(world.tenant_a) == 150


def test_cancel_refused_to_others_and_after_use(world, reward):
    give_points(world.tenant_a, 150)
    redemption = actions.reward_redeem(tenant=world.tenant_a, reward=reward)
    for actor in (world.tenant_a2.user, world.staff_b.user):
        with pytest.raises(NotAllowed):
            actions.redemption_cancel(actor=actor, redemption=redemption)
    actions.redemption_validate(
        actor=world.staff_a.user, landlord_id=world.landlord_a.pk, code=redemption.code
    )
    with pytest.raises(actions.NotCancellable):
        actions.redemption_cancel(actor=world.tenant_a.user, redemption=redemption)
    assert balance(world.tenant_a) == 50


def test_validate_once_then_already_used(world, reward):
    give_points(world.tenant_a, 150)
    redemption = actions.reward_redeem(tenant=world.tenant_a, reward=reward)
    advisor = StaffFactory(landlord=world.landlord_a, role="job_advisor")
    used = actions.redemption_validate(
        actor=advisor.user, landlord_id=world.landlord_a.pk, code=f" {redemption.code.lower()} "
    )
    assert (used.status, used.used_at, used.validated_by) == ("used", T0, advisor.user)
    with pytest.raises(actions.AlreadyUsed):
        actions.redemption_validate(
            actor=world.staff_a.user, landlord_id=world.landlord_a.pk, code=redemption.code
        )


def test_validate_unknown_expired_cancelled_and_other_landlord(world, reward, clock):
    give_points(world.tenant_a, 300)
    one = actions.reward_redeem(tenant=world.tenant_a, reward=reward)
    two = actions.reward_redeem(tenant=world.tenant_a, reward=reward)
    actions.redemption_cancel(actor=world.tenant_a.user, redemption=two)
    staff, landlord = world.staff_a.user, world.landlord_a.pk
    with pytest.raises(actions.UnknownCode):
        actions.redemption_validate(actor=staff, landlord_id=landlord, code="NOPE")
    with pytest.raises(actions.VoucherCancelled):
        actions.redemption_validate(actor=staff, landlord_id=landlord, code=two.code)
    with pytest.raises(actions.UnknownCode):
        actions.redemption_validate(
            actor=world.staff_b.user, landlord_id=world.landlord_b.pk, code=one.code
        )
    clock.move_to(one.expires_at)
    with pytest.raises(actions.VoucherExpired):
        actions.redemption_validate(actor=staff, landlord_id=landlord, code=one.code)


def test_pool_codes_are_handed_out_in_order_and_never_reused(world):
    pool = actions.reward_create(
        actor=world.staff_a.user,
        landlord=world.landlord_a,
        title="Boulangerie",
        kind="pool_code",
        cost_points=50,
        stock=99,  # ignored: a pool's stock is its codes
    )
    assert pool.stock == 0
    result = actions.voucher_codes_upload(
        actor=world.staff_a.user, reward=pool, codes=["PAIN-1", "PAIN-2", "PAIN-1", " ", "A B"]
    )
    assert result == {"added": 2, "duplicates": 1, "invalid": ["A B"], "stock": 2}
    again = actions.voucher_codes_upload(actor=world.staff_a.user, reward=pool, codes=["PAIN-2"])
    assert (again["added"], again["duplicates"], again["stock"]) == (0, 1, 2)
    give_points(world.tenant_a, 200)
    pool.refresh_from_db()
    first = actions.reward_redeem(tenant=world.tenant_a, reward=pool)
    assert first.code == "PAIN-1"
    actions.redemption_cancel(actor=world.staff_a.user, redemption=first, reason="code refusé")
    second = actions.reward_redeem(tenant=world.tenant_a, reward=pool)
    assert second.code == "PAIN-2"
    with pytest.raises(actions.OutOfStock):
        actions.reward_redeem(tenant=world.tenant_a, reward=pool)
    assert VoucherCode.objects.filter(assigned_at__isnull=True).count() == 0
    assert balance(world.tenant_a) == 150


def test_a_partner_code_in_two_pools_is_burnt_and_the_next_one_issued(world):
    # Two uploads at once to two pools of one landlord can both add a code (each checks the
    # other pools before the other commits): the second pool must not answer 500 for ever.
    cinema = RewardFactory(landlord=world.landlord_a, kind="pool_code", stock=1, cost_points=10)
    bakery = RewardFactory(landlord=world.landlord_a, kind="pool_code", stock=2, cost_points=10)
    VoucherCode.objects.create(reward=cinema, code="DUP-1")
    VoucherCode.objects.create(reward=bakery, code="DUP-1")
    VoucherCode.objects.create(reward=bakery, code="PAIN-2")
    give_points(world.tenant_a, 100)
    assert actions.reward_redeem(tenant=world.tenant_a, reward=cinema).code == "DUP-1"
    bakery.refresh_from_db()
    assert actions.reward_redeem(tenant=world.tenant_a, reward=bakery).code == "PAIN-2"
    bakery.refresh_from_db()
    assert bakery.stock == 0  # the burnt code left the stock with the one handed out
    assert VoucherCode.objects.filter(reward=bakery, assigned_at__isnull=True).count() == 0
    assert balance(world.tenant_a) == 80


def test_reward_rules_for_staff(world):
    with pytest.raises(NotAllowed):
        actions.reward_create(
            actor=world.staff_b.user, landlord=world.landlord_a, title="x", cost_points=1
        )
    with pytest.raises(Exception) as exc:
        actions.reward_create(
            actor=world.staff_a.user,
            landlord=world.landlord_a,
            title="Avoir",
            kind="charges_credit",
            cost_points=500,
        )
    assert exc.value.code == "invalid_reward"
    assert "credit_cents" in exc.value.fields
    credit = actions.reward_create(
        actor=world.staff_a.user,
        landlord=world.landlord_a,
        title="Avoir de 10 € sur les charges",
        kind="charges_credit",
        cost_points=500,
        credit_cents=1000,
    )
    updated = actions.reward_update(actor=world.staff_a.user, reward=credit, stock=5)
    assert updated.stock == 5
