"""Earning, idempotency, caps, reversals with debt, staff grants: the ledger's arithmetic."""

import datetime

import pytest
from dateutil.relativedelta import relativedelta

from notifications.models import Notification
from services.core.errors import NotAllowed
from services.loyalty import actions, selectors
from services.loyalty.models import Account, EarningRule, Entry, Lot, Rule
from tests.factories import StaffFactory
from tests.factories.loyalty import EarningRuleFactory, give_points

from .conftest import T0

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock", "sound_ledger")]


def account_of(tenant) -> Account:
    return Account.objects.get(tenant=tenant)


def test_award_uses_the_default_rule_amount_and_opens_a_lot(world):
    entry = actions.points_award(
        tenant=world.tenant_a, rule="welcome_bonus", source=world.tenant_a, idempotency_key="k1"
    )
    assert (entry.kind, entry.points, entry.reason) == ("earn", 50, "welcome_bonus")
    assert entry.source_type == "accounts.tenant"
    assert entry.source_id == str(world.tenant_a.public_id)
    lot = Lot.objects.get(entry=entry)
    assert (lot.points, lot.remaining) == (50, 50)
    assert lot.expires_at == T0 + relativedelta(months=24)
    assert account_of(world.tenant_a).balance == 50
    assert selectors.account_balance(tenant=world.tenant_a) == 50


def test_award_uses_the_landlords_amount_and_validity(world):
    world.landlord_a.points_validity_months = 12
    world.landlord_a.save()
    EarningRuleFactory(landlord=world.landlord_a, code=Rule.HIRE, points=500)
    entry = actions.points_award(
        tenant=world.tenant_a, rule="hire", source=None, idempotency_key="hire-1"
    )
    assert entry.points == 500
    assert Lot.objects.get(entry=entry).expires_at == T0 + relativedelta(months=12)


def test_same_idempotency_key_twice_is_a_no_op_returning_the_entry(world):
    first = give_points(world.tenant_a, 30, key="signup:1")
    again = give_points(world.tenant_a, 30, key="signup:1")
    assert again.pk == first.pk
    assert Entry.objects.count() == 1
    assert account_of(world.tenant_a).balance == 30


def test_the_same_key_on_two_accounts_earns_twice(world):
    give_points(world.tenant_a, 30, key="signup:1")
    give_points(world.tenant_a2, 30, key="signup:1")
    assert account_of(world.tenant_a2).balance == 30


def test_an_unknown_rule_or_bad_points_are_refused_without_writing(world):
    with pytest.raises(Exception) as exc:
        actions.points_award(
            tenant=world.tenant_a, rule="rent_paid", source=None, idempotency_key="x"
        )
    assert exc.value.code == "unknown_rule"
    with pytest.raises(Exception) as exc:
        give_points(world.tenant_a, 0)
    assert exc.value.code == "invalid_points"
    assert Entry.objects.count() == 0


def test_a_switched_off_rule_earns_nothing(world):
    EarningRuleFactory(landlord=world.landlord_a, code=Rule.WELCOME_BONUS, is_active=False)
    assert actions.welcome_bonus_award(tenant=world.tenant_a) is None
    assert Entry.objects.count() == 0


def test_welcome_bonus_is_given_once(world):
    first = actions.welcome_bonus_award(tenant=world.tenant_a)
    again = actions.welcome_bonus_award(tenant=world.tenant_a)
    assert first.pk == again.pk
    assert account_of(world.tenant_a).balance == 50


def test_cap_per_day_trims_then_blocks_then_resets_the_next_day(world, clock):
    EarningRuleFactory(
        landlord=world.landlord_a, code=Rule.VOLUNTEER_ATTENDANCE, cap_points=50, cap_period="day"
    )
    assert give_points(world.tenant_a, 30).points == 30
    assert give_points(world.tenant_a, 30).points == 20  # trimmed to the cap
    assert give_points(world.tenant_a, 30) is None
    clock.move_to(T0 + datetime.timedelta(days=1))
    assert give_points(world.tenant_a, 30).points == 30
    assert account_of(world.tenant_a).balance == 80


def test_cap_per_month_counts_reversed_points_back(world, clock):
    EarningRuleFactory(
        landlord=world.landlord_a,
        code=Rule.VOLUNTEER_ATTENDANCE,
        cap_points=40,
        cap_period="month",
    )
    give_points(world.tenant_a, 40, key="a")
    assert give_points(world.tenant_a, 10) is None
    actions.points_reverse(tenant=world.tenant_a, idempotency_key="a", reason="no-show")
    assert give_points(world.tenant_a, 10).points == 10


# Europe/Paris: local midnight of 1 January 2027 is 23:00 UTC on 31 December.
NEW_YEAR = datetime.datetime(2026, 12, 31, 23, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("period", "edge"),
    [
        ("day", datetime.datetime(2026, 3, 10, 23, 0, tzinfo=datetime.UTC)),
        ("month", datetime.datetime(2026, 3, 31, 22, 0, tzinfo=datetime.UTC)),  # CEST
        ("year", NEW_YEAR),
    ],
)
def test_cap_resets_exactly_at_the_local_start_of_the_period(world, clock, period, edge):
    EarningRuleFactory(
        landlord=world.landlord_a, code=Rule.VOLUNTEER_ATTENDANCE, cap_points=50, cap_period=period
    )
    clock.move_to(edge - datetime.timedelta(seconds=1))
    assert give_points(world.tenant_a, 50).points == 50
    assert give_points(world.tenant_a, 1) is None
    clock.move_to(edge)
    assert give_points(world.tenant_a, 50).points == 50
    assert give_points(world.tenant_a, 1) is None


def test_reversing_last_periods_award_frees_nothing_in_this_period(world, clock):
    EarningRuleFactory(
        landlord=world.landlord_a, code=Rule.VOLUNTEER_ATTENDANCE, cap_points=50, cap_period="year"
    )
    clock.move_to(NEW_YEAR - datetime.timedelta(days=1))
    give_points(world.tenant_a, 50, key="last-year")
    clock.move_to(NEW_YEAR)
    assert give_points(world.tenant_a, 50, key="this-year").points == 50
    actions.points_reverse(tenant=world.tenant_a, idempotency_key="last-year", reason="no-show")
    assert give_points(world.tenant_a, 50) is None  # 2027 already earned its 50
    assert account_of(world.tenant_a).balance == 50


def test_reverse_takes_the_points_back_once(world):
    give_points(world.tenant_a, 40, key="a")
    entry = actions.points_reverse(tenant=world.tenant_a, idempotency_key="a", reason="no-show")
    again = actions.points_reverse(tenant=world.tenant_a, idempotency_key="a", reason="no-show")
    assert again.pk == entry.pk
    assert (entry.kind, entry.points, entry.note) == ("reverse", -40, "no-show")
    account = account_of(world.tenant_a)
    assert (account.balance, account.debt) == (0, 0)
    assert Entry.objects.filter(kind="reverse").count() == 1


def test_award_again_after_a_reversal_earns_again_once(world):
    give_points(world.tenant_a, 40, key="signup:1")
    first_reversal = actions.points_reverse(
        tenant=world.tenant_a, idempotency_key="signup:1", reason="no-show"
    )
    again = give_points(world.tenant_a, 40, key="signup:1")  # attendance restored
    retry = give_points(world.tenant_a, 40, key="signup:1")
    assert again.idempotency_key == "signup:1#2"
    assert retry.pk == again.pk
    assert account_of(world.tenant_a).balance == 40
    second_reversal = actions.points_reverse(
        tenant=world.tenant_a, idempotency_key="signup:1", reason="no-show again"
    )
    assert second_reversal.pk != first_reversal.pk
    assert second_reversal.reverses_id == again.pk
    assert account_of(world.tenant_a).balance == 0
    assert (
        actions.points_reverse(tenant=world.tenant_a, idempotency_key="signup:1", reason="x").pk
        == second_reversal.pk
    )


def test_long_award_keys_are_never_cut_into_one_another(world):
    base = "volunteering.signup:" + "x" * 190
    give_points(world.tenant_a, 10, key=base + "A")
    give_points(world.tenant_a, 10, key=base + "B")  # another activity: earns
    assert give_points(world.tenant_a, 10, key=base + "A").points == 10  # a repeat: no-op
    assert account_of(world.tenant_a).balance == 20
    # Reversed then restored, twice: "#2", "#3" and their reversals all fit and stay distinct.
    for _ in range(2):
        actions.points_reverse(tenant=world.tenant_a, idempotency_key=base + "A", reason="x")
        give_points(world.tenant_a, 10, key=base + "A")
    assert account_of(world.tenant_a).balance == 20
    keys = [k for k in Entry.objects.values_list("idempotency_key", flat=True) if k]
    assert len(keys) == len(set(keys)) == 6  # A, B, reverse:A, A#2, reverse:A#2, A#3
    assert max(len(k) for k in keys) <= 200


def test_reverse_of_nothing_earned_returns_none(world):
    assert actions.points_reverse(tenant=world.tenant_a, idempotency_key="zz", reason="x") is None


def test_reverse_beyond_the_balance_becomes_debt_repaid_by_future_earnings(world, clock):
    give_points(world.tenant_a, 100, key="a")
    reward = actions.reward_create(
        actor=world.staff_a.user, landlord=world.landlord_a, title="Cinéma", cost_points=80
    )
    actions.reward_redeem(tenant=world.tenant_a, reward=reward)  # 20 left
    actions.points_reverse(tenant=world.tenant_a, idempotency_key="a", reason="error")
    account = account_of(world.tenant_a)
    assert (account.balance, account.debt) == (0, 80)
    assert selectors.account_summary(tenant=world.tenant_a).pending == 80
    give_points(world.tenant_a, 50)  # all of it repays debt
    account.refresh_from_db()
    assert (account.balance, account.debt) == (0, 30)
    give_points(world.tenant_a, 50)  # 30 repays, 20 spendable
    account.refresh_from_db()
    assert (account.balance, account.debt) == (20, 0)
    assert Lot.objects.filter(account=account, remaining__gt=0).get().points == 20


def test_reverse_does_not_take_already_expired_points_twice(world, clock):
    give_points(world.tenant_a, 40, key="a")
    clock.move_to(T0 + relativedelta(months=24))
    assert actions.points_expire_due() == 40
    assert actions.points_reverse(tenant=world.tenant_a, idempotency_key="a", reason="x") is None
    assert (account_of(world.tenant_a).balance, account_of(world.tenant_a).debt) == (0, 0)


def test_staff_grant_needs_a_reason_and_notifies_the_tenant(world):
    with pytest.raises(Exception) as exc:
        actions.points_grant(actor=world.staff_a.user, tenant=world.tenant_a, points=25, reason=" ")
    assert exc.value.code == "reason_required"
    entry = actions.points_grant(
        actor=world.staff_a.user, tenant=world.tenant_a, points=25, reason="Fête des voisins"
    )
    assert (entry.kind, entry.points, entry.reason, entry.issuer) == (
        "adjust",
        25,
        "staff_grant",
        world.staff_a.user,
    )
    note = Notification.objects.get(recipient=world.tenant_a.user)
    assert note.kind == "loyalty.points_granted"
    assert note.title == "Vous avez reçu 25 points"
    assert note.body == "Fête des voisins"


def test_staff_adjustment_down_consumes_lots_and_cannot_go_below_zero(world):
    give_points(world.tenant_a, 30)
    with pytest.raises(Exception) as exc:
        actions.points_grant(
            actor=world.staff_a.user, tenant=world.tenant_a, points=-31, reason="x"
        )
    assert exc.value.code == "insufficient_points"
    entry = actions.points_grant(
        actor=world.staff_a.user, tenant=world.tenant_a, points=-10, reason="Doublon"
    )
    assert (entry.points, entry.reason) == (-10, "staff_adjustment")
    assert account_of(world.tenant_a).balance == 20


def test_grant_refused_to_other_landlords_staff_and_job_advisors(world):
    advisor = StaffFactory(landlord=world.landlord_a, role="job_advisor")
    for actor in (world.staff_b.user, advisor.user, world.tenant_a.user):
        with pytest.raises(NotAllowed):
            actions.points_grant(actor=actor, tenant=world.tenant_a, points=5, reason="x")
    assert Entry.objects.count() == 0


def test_earning_rule_save_validates_caps(world):
    with pytest.raises(Exception) as exc:
        actions.earning_rule_save(
            actor=world.staff_a.user, landlord=world.landlord_a, code="hire", cap_points=10
        )
    assert exc.value.code == "cap_period_required"
    rule = actions.earning_rule_save(
        actor=world.staff_a.user,
        landlord=world.landlord_a,
        code="hire",
        points=300,
        cap_points=300,
        cap_period="year",
    )
    assert (rule.points, rule.cap_points, rule.cap_period) == (300, 300, "year")
    assert EarningRule.objects.count() == 1
