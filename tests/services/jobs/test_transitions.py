"""Every transition of the table, every refusal outside it, every wrong side."""

import datetime

import pytest

from services.jobs import transitions
from services.jobs.models import Match, MatchTransition
from tests.factories.jobs import JobProfileFactory, MatchFactory, OfferFactory

pytestmark = pytest.mark.django_db

DATA = {
    "decline_reason": "distance",
    "interview_at": datetime.datetime(2026, 12, 3, 9, tzinfo=datetime.UTC),
    "interview_place": "3 avenue du Port",
    "hire_start_date": datetime.date(2026, 12, 15),
    "withdraw_reason": "Trouvé ailleurs",
}
STATES = Match.State.values
SIDES = ("tenant", "staff", "employer", "system")


def _actor(world, side):
    return {
        "tenant": world.tenant_a.user,
        "staff": world.staff_a.user,
        "employer": world.employer_member.user,
        "system": None,
    }[side]


def _match(world, state):
    JobProfileFactory(tenant=world.tenant_a)
    offer = OfferFactory(employer=world.employer_a, positions=5)
    # Employers see a match once proposed: give every state a proposal date.
    return MatchFactory(
        tenant=world.tenant_a,
        offer=offer,
        state=state,
        proposed_at=datetime.datetime.now(tz=datetime.UTC),
    )


@pytest.mark.parametrize(("frm", "to"), sorted(transitions.TRANSITIONS))
def test_each_transition_of_the_table(world, frm, to):
    step = transitions.TRANSITIONS[(frm, to)]
    side = sorted(step.sides)[0]
    match = _match(world, frm)
    data = {name: DATA[name] for name in step.requires}
    moved = transitions.match_transition(
        match=match, actor=_actor(world, side), to=to, expected_state=frm, data=data
    )
    assert moved.state == to
    log = MatchTransition.objects.filter(match=match).order_by("-id").first()
    assert (log.from_state, log.to_state, log.actor_kind) == (frm, to, side)


@pytest.mark.parametrize(("frm", "to"), sorted(transitions.TRANSITIONS))
def test_each_transition_refuses_the_other_sides(world, frm, to):
    step = transitions.TRANSITIONS[(frm, to)]
    match = _match(world, frm)
    data = {name: DATA[name] for name in step.requires}
    for side in SIDES:
        if side in step.sides:
            continue
        with pytest.raises(transitions.TransitionNotAllowed):
            transitions.match_transition(match=match, actor=_actor(world, side), to=to, data=data)
    match.refresh_from_db()
    assert match.state == frm


def test_every_step_outside_the_table_is_refused(world):
    match = _match(world, Match.State.SUGGESTED)
    refused = 0
    for frm in STATES:
        Match.objects.filter(pk=match.pk).update(state=frm)
        for to in STATES:
            if (frm, to) in transitions.TRANSITIONS:
                continue
            with pytest.raises(transitions.InvalidTransition):
                transitions.match_transition(match=match, actor=None, to=to, data=DATA)
            refused += 1
    assert refused == len(STATES) ** 2 - len(transitions.TRANSITIONS)
    assert MatchTransition.objects.filter(match=match).count() == 1  # the factory's


def test_required_details_are_checked(world):
    match = _match(world, Match.State.EMPLOYER_INTERESTED)
    with pytest.raises(transitions.TransitionFieldRequired) as missing:
        transitions.match_transition(
            match=match, actor=world.employer_member.user, to=Match.State.INTERVIEW, data={}
        )
    assert set(missing.value.fields) == {"interview_at", "interview_place"}
