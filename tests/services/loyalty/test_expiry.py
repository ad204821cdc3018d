"""Lots expire at their edge; spending takes the oldest-expiring lots first; a push warns."""

import datetime

import pytest
from dateutil.relativedelta import relativedelta

from notifications.models import Notification
from services.loyalty import actions, selectors
from services.loyalty.models import Account, Consumption, Entry, Lot
from tests.factories.loyalty import RewardFactory, give_points

from .conftest import T0

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock", "sound_ledger")]

EXPIRY = T0 + relativedelta(months=24)
SECOND = datetime.timedelta(microseconds=1)


def balance(tenant) -> int:
    return Account.objects.get(tenant=tenant).balance


def test_points_are_spendable_until_the_last_instant(world, clock):
    give_points(world.tenant_a, 40)
    clock.move_to(EXPIRY - SECOND)
    assert actions.points_expire_due() == 0
    assert selectors.account_balance(tenant=world.tenant_a) == 40
    reward = RewardFactory(landlord=world.landlord_a, cost_points=40)
    actions.reward_redeem(tenant=world.tenant_a, reward=reward)
    assert balance(world.tenant_a) == 0


def test_points_expire_exactly_at_their_date(world, clock):
    give_points(world.tenant_a, 40)
    clock.move_to(EXPIRY)
    assert selectors.account_balance(tenant=world.tenant_a) == 0  # before the nightly run
    assert actions.points_expire_due() == 40
    assert actions.points_expire_due() == 0  # twice is harmless
    entry = Entry.objects.get(kind="expire")
    assert (entry.points, entry.reason) == (-40, "expiry")
    assert balance(world.tenant_a) == 0


def test_a_spend_after_the_date_ignores_expired_points_even_before_the_nightly_run(world, clock):
    give_points(world.tenant_a, 40)
    clock.move_to(EXPIRY)
    reward = RewardFactory(landlord=world.landlord_a, cost_points=10)
    with pytest.raises(actions.InsufficientPoints):
        actions.reward_redeem(tenant=world.tenant_a, reward=reward)
    assert Entry.objects.filter(kind="spend").count() == 0


def test_spending_consumes_the_oldest_expiring_lots_first_across_several(world, clock):
    first = give_points(world.tenant_a, 30)
    clock.move_to(T0 + datetime.timedelta(days=10))
    second = give_points(world.tenant_a, 30)
    clock.move_to(T0 + datetime.timedelta(days=20))
    third = give_points(world.tenant_a, 30)
    reward = RewardFactory(landlord=world.landlord_a, cost_points=50)
    redemption = actions.reward_redeem(tenant=world.tenant_a, reward=reward)
    remaining = {lot.entry_id: lot.remaining for lot in Lot.objects.all()}
    assert remaining == {first.pk: 0, second.pk: 10, third.pk: 30}
    taken = list(
        Consumption.objects.filter(entry=redemption.spend_entry).values_list("lot__entry", "points")
    )
    assert taken == [(first.pk, 30), (second.pk, 20)]
    # The first lot's date passes: nothing left in it to expire; the others stay.
    clock.move_to(EXPIRY)
    assert actions.points_expire_due() == 0
    clock.move_to(EXPIRY + datetime.timedelta(days=10))
    assert actions.points_expire_due() == 10
    assert balance(world.tenant_a) == 30


def test_a_shorter_lot_earned_later_is_still_spent_first(world, clock):
    first = give_points(world.tenant_a, 20)
    world.landlord_a.points_validity_months = 6
    world.landlord_a.save()
    clock.move_to(T0 + datetime.timedelta(days=1))
    later_but_sooner = give_points(world.tenant_a, 20)
    reward = RewardFactory(landlord=world.landlord_a, cost_points=25)
    actions.reward_redeem(tenant=world.tenant_a, reward=reward)
    remaining = {lot.entry_id: lot.remaining for lot in Lot.objects.all()}
    assert remaining == {later_but_sooner.pk: 0, first.pk: 15}


def test_cancelling_after_the_lot_expired_gives_the_points_back_then_expires_them(world, clock):
    give_points(world.tenant_a, 40)
    clock.move_to(EXPIRY - datetime.timedelta(days=1))
    reward = RewardFactory(landlord=world.landlord_a, cost_points=40, validity_days=30)
    redemption = actions.reward_redeem(tenant=world.tenant_a, reward=reward)
    clock.move_to(EXPIRY + datetime.timedelta(days=1))
    actions.redemption_cancel(actor=world.staff_a.user, redemption=redemption)
    assert balance(world.tenant_a) == 0
    kinds = list(Entry.objects.order_by("id").values_list("kind", "points"))
    assert kinds == [("earn", 40), ("spend", -40), ("reverse", 40), ("expire", -40)]


def test_warning_is_pushed_once_thirty_days_before(world, clock):
    give_points(world.tenant_a, 40)
    give_points(world.tenant_a2, 15)
    clock.move_to(EXPIRY - datetime.timedelta(days=30) - SECOND)
    assert actions.points_expiry_warn() == 0
    clock.move_to(EXPIRY - datetime.timedelta(days=30))
    assert actions.points_expiry_warn() == 2
    assert actions.points_expiry_warn() == 0
    note = Notification.objects.get(recipient=world.tenant_a.user)
    assert note.kind == "loyalty.points_expiring"
    assert note.title == "40 points expirent bientôt"
    assert note.body == (
        "Utilisez-les avant le 10/03/2028 : le catalogue de récompenses vous attend."
    )


def test_account_summary_lists_what_expires_within_ninety_days(world, clock):
    give_points(world.tenant_a, 40)
    clock.move_to(T0 + relativedelta(months=3))
    give_points(world.tenant_a, 25)
    clock.move_to(EXPIRY - datetime.timedelta(days=10))
    summary = selectors.account_summary(tenant=world.tenant_a)
    assert summary.balance == 65
    assert summary.expiring == [{"points": 40, "expires_at": EXPIRY}]


def test_unused_vouchers_expire_and_keep_their_points(world, clock):
    give_points(world.tenant_a, 40)
    reward = RewardFactory(landlord=world.landlord_a, cost_points=40, validity_days=30)
    redemption = actions.reward_redeem(tenant=world.tenant_a, reward=reward)
    clock.move_to(redemption.expires_at - SECOND)
    assert actions.vouchers_expire() == 0
    clock.move_to(redemption.expires_at)
    assert actions.vouchers_expire() == 1
    redemption.refresh_from_db()
    assert redemption.status == "expired"
    assert balance(world.tenant_a) == 0
    with pytest.raises(actions.NotCancellable):
        actions.redemption_cancel(actor=world.tenant_a.user, redemption=redemption)


def test_tenancy_anniversary_awards_once_a_year(world, clock):
    tenancy = world.tenant_a.tenancy
    tenancy.start_date = datetime.date(2022, 3, 10)
    tenancy.save()
    assert actions.tenancy_anniversaries_award() == 1
    assert actions.tenancy_anniversaries_award() == 1  # same key: the existing entry
    assert Entry.objects.filter(reason="tenancy_anniversary").count() == 1
    assert balance(world.tenant_a) == 50


@pytest.mark.parametrize(
    ("today", "awarded"),
    [
        (datetime.date(2027, 2, 27), 0),
        (datetime.date(2027, 2, 28), 1),  # not a leap year: the 29th falls on the 28th
        (datetime.date(2027, 3, 1), 0),
        (datetime.date(2028, 2, 28), 0),  # a leap year: on the 29th itself
        (datetime.date(2028, 2, 29), 1),
    ],
)
def test_a_tenancy_started_on_29_february_has_an_anniversary_every_year(
    world, clock, today, awarded
):
    tenancy = world.tenant_a.tenancy
    tenancy.start_date = datetime.date(2024, 2, 29)
    tenancy.save()
    clock.move_to(datetime.datetime.combine(today, datetime.time(9), tzinfo=datetime.UTC))
    assert actions.tenancy_anniversaries_award() == awarded
    assert Entry.objects.filter(reason="tenancy_anniversary").count() == awarded


def test_account_summary_groups_what_expires_by_local_date(world, clock):
    give_points(world.tenant_a, 40)  # 10:00 Paris
    clock.move_to(T0 + datetime.timedelta(hours=5))
    give_points(world.tenant_a, 25)  # 15:00 the same day
    clock.move_to(T0 + datetime.timedelta(days=1))
    give_points(world.tenant_a, 5)  # the next day
    clock.move_to(EXPIRY - datetime.timedelta(days=10))
    summary = selectors.account_summary(tenant=world.tenant_a)
    assert summary.expiring == [
        {"points": 65, "expires_at": EXPIRY},
        {"points": 5, "expires_at": EXPIRY + datetime.timedelta(days=1)},
    ]
