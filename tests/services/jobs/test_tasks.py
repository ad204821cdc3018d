"""Expiry, reminders and digests at their edges, with a frozen clock."""

import datetime

import pytest
import time_machine

from notifications.models import Notification
from services.jobs import tasks
from services.jobs.models import Match, Offer
from tests.factories.jobs import JobProfileFactory, MatchFactory, OfferFactory

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)


def _at(delta):
    return time_machine.travel(T0 + delta, tick=False)


@pytest.fixture
def proposed(world):
    JobProfileFactory(tenant=world.tenant_a)
    with _at(datetime.timedelta(0)):
        return MatchFactory(
            tenant=world.tenant_a,
            offer=OfferFactory(employer=world.employer_a),
            state=Match.State.PROPOSED,
        )


def _kinds(user):
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_reminders_at_7_and_14_days_then_expiry_at_21(world, proposed):
    employer = world.employer_member.user
    with _at(datetime.timedelta(days=7) - datetime.timedelta(seconds=1)):
        assert tasks.proposals_expire_and_remind() == {"expired": 0, "reminded": 0}
    with _at(datetime.timedelta(days=7)):
        assert tasks.proposals_expire_and_remind() == {"expired": 0, "reminded": 1}
        assert tasks.proposals_expire_and_remind() == {"expired": 0, "reminded": 0}
    with _at(datetime.timedelta(days=14)):
        assert tasks.proposals_expire_and_remind() == {"expired": 0, "reminded": 1}
    assert _kinds(employer) == ["jobs.proposal_reminder", "jobs.proposal_reminder"]
    with _at(datetime.timedelta(days=21) - datetime.timedelta(seconds=1)):
        assert tasks.proposals_expire_and_remind() == {"expired": 0, "reminded": 0}
    proposed.refresh_from_db()
    assert proposed.state == Match.State.PROPOSED
    with _at(datetime.timedelta(days=21)):
        assert tasks.proposals_expire_and_remind() == {"expired": 1, "reminded": 0}
        assert tasks.proposals_expire_and_remind() == {"expired": 0, "reminded": 0}
    proposed.refresh_from_db()
    assert proposed.state == Match.State.EXPIRED
    assert _kinds(world.tenant_a.user) == ["jobs.match_expired"]
    last = proposed.transitions.order_by("-at", "-id").first()
    assert (last.from_state, last.to_state, last.actor_kind) == ("proposed", "expired", "system")


def test_an_answered_match_does_not_expire(world, proposed):
    proposed.state = Match.State.EMPLOYER_INTERESTED
    proposed.save()
    with _at(datetime.timedelta(days=30)):
        assert tasks.proposals_expire_and_remind() == {"expired": 0, "reminded": 0}


def test_idle_offer_warned_7_days_before_and_closed_at_90(world):
    with _at(datetime.timedelta(0)):
        offer = OfferFactory(employer=world.employer_a)
    JobProfileFactory(tenant=world.tenant_a)
    match = MatchFactory(tenant=world.tenant_a, offer=offer, state=Match.State.INTERESTED)
    with _at(datetime.timedelta(days=83) - datetime.timedelta(seconds=1)):
        assert tasks.offers_expire_and_warn() == {"closed": 0, "warned": 0}
    with _at(datetime.timedelta(days=83)):
        assert tasks.offers_expire_and_warn() == {"closed": 0, "warned": 1}
        assert tasks.offers_expire_and_warn() == {"closed": 0, "warned": 0}
    assert _kinds(world.employer_member.user) == ["jobs.offer_expiring"]
    with _at(datetime.timedelta(days=90) - datetime.timedelta(seconds=1)):
        assert tasks.offers_expire_and_warn()["closed"] == 0
    with _at(datetime.timedelta(days=90)):
        assert tasks.offers_expire_and_warn() == {"closed": 1, "warned": 0}
    offer.refresh_from_db()
    match.refresh_from_db()
    assert offer.status == Offer.Status.CLOSED
    assert match.state == Match.State.OBSOLETE


def test_daily_suggestions_send_at_most_one_digest_a_day(world):
    JobProfileFactory(tenant=world.tenant_a)
    OfferFactory(employer=world.employer_a)
    with _at(datetime.timedelta(0)):
        assert tasks.matches_suggest_and_digest() == {"suggested": 1, "digests": 1}
        OfferFactory(employer=world.employer_a, title="Agent de propreté")
        assert tasks.matches_suggest_and_digest() == {"suggested": 1, "digests": 0}
    assert _kinds(world.tenant_a.user) == ["jobs.new_matches"]
    assert Match.objects.filter(state=Match.State.SUGGESTED).count() == 2
    with _at(datetime.timedelta(days=1)):
        assert tasks.matches_suggest_and_digest() == {"suggested": 0, "digests": 0}


def test_withdrawing_matching_consent_drops_pending_suggestions(world):
    from services.jobs import actions

    JobProfileFactory(tenant=world.tenant_a)
    OfferFactory(employer=world.employer_a)
    tasks.matches_suggest_and_digest()
    actions.consent_set(tenant=world.tenant_a, purpose="matching", granted=False)
    assert list(Match.objects.values_list("state", flat=True)) == ["obsolete"]


def test_staff_weekly_digest_counts_interested_matches(world):
    JobProfileFactory(tenant=world.tenant_a)
    MatchFactory(tenant=world.tenant_a, offer=OfferFactory(employer=world.employer_a))
    assert tasks.staff_weekly_digest() == 1
    note = Notification.objects.get(recipient=world.staff_a.user)
    assert note.kind == "jobs.staff_weekly"
    assert note.body.startswith("1 locataires")
