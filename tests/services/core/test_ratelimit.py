"""The one attempt-limit helper: counted before evaluation, given back when not a failure."""

import datetime as dt

import pytest
import time_machine
from django.db import transaction

from services.core import ratelimit
from services.core.models import RateCounter
from tests.concurrency import run_concurrently

pytestmark = pytest.mark.django_db

WINDOW = dt.timedelta(minutes=10)
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


class WrongGuess(Exception):
    pass


def _guess(*limits, evaluated: list, right: bool = False):
    """One attempt: the body records that it was evaluated, then fails unless `right`."""
    try:
        with ratelimit.attempt(*limits, failures=(WrongGuess,)):
            evaluated.append(1)
            if not right:
                raise WrongGuess()
        return "ok"
    except WrongGuess:
        return "wrong"
    except ratelimit.LimitReached:
        return "refused"


def _count(key):
    return RateCounter.objects.get(key=key).count


def test_the_attempt_is_counted_before_the_body_runs_and_refused_at_the_limit():
    limit = ratelimit.Limit("t:a", 3, WINDOW)
    seen = []

    def body_sees_its_own_count():
        with ratelimit.attempt(limit, failures=(WrongGuess,)):
            seen.append(_count("t:a"))
            raise WrongGuess()

    for _ in range(3):
        with pytest.raises(WrongGuess):
            body_sees_its_own_count()
    assert seen == [1, 2, 3]
    with pytest.raises(ratelimit.LimitReached):
        body_sees_its_own_count()
    assert seen == [1, 2, 3]  # the refused attempt was never evaluated
    assert _count("t:a") == 3


def test_an_attempt_that_is_not_a_failure_gives_its_count_back():
    limit = ratelimit.Limit("t:b", 2, WINDOW)
    evaluated = []
    answers = [_guess(limit, evaluated=evaluated, right=True) for _ in range(5)]
    assert answers == ["ok"] * 5
    assert _count("t:b") == 0
    # another error than a failure (say, a weak password after a valid code) gives back too
    with pytest.raises(ValueError), ratelimit.attempt(limit, failures=(WrongGuess,)):
        raise ValueError
    assert _count("t:b") == 0


def test_a_success_at_the_limit_lifts_the_block_it_set():
    limit = ratelimit.Limit("t:c", 2, WINDOW)
    evaluated = []
    assert _guess(limit, evaluated=evaluated) == "wrong"
    assert _guess(limit, evaluated=evaluated, right=True) == "ok"
    assert _guess(limit, evaluated=evaluated) == "wrong"
    assert _guess(limit, evaluated=evaluated) == "refused"


def test_the_key_is_refused_for_one_window_from_the_attempt_that_reached_the_limit():
    limit = ratelimit.Limit("t:d", 2, WINDOW)
    evaluated = []
    with time_machine.travel(START, tick=False) as traveller:
        assert _guess(limit, evaluated=evaluated) == "wrong"
        traveller.shift(dt.timedelta(minutes=9))
        assert _guess(limit, evaluated=evaluated) == "wrong"  # reaches the limit at 9:09
        traveller.shift(dt.timedelta(minutes=9, seconds=59))
        with pytest.raises(ratelimit.LimitReached) as refused:
            ratelimit.take(limit)
        assert refused.value.until == START + dt.timedelta(minutes=19)
        assert refused.value.retry_after == 1
        traveller.shift(dt.timedelta(seconds=1))
        assert _guess(limit, evaluated=evaluated) == "wrong"
        assert _count("t:d") == 1  # a new window


def test_one_limit_refusing_counts_the_attempt_against_none_of_them():
    narrow = ratelimit.Limit("t:narrow", 1, WINDOW)
    wide = ratelimit.Limit("t:wide", 10, WINDOW)
    evaluated = []
    assert _guess(narrow, wide, evaluated=evaluated) == "wrong"
    assert [_guess(narrow, wide, evaluated=evaluated) for _ in range(3)] == ["refused"] * 3
    assert (_count("t:narrow"), _count("t:wide")) == (1, 1)


def test_reset_forgives_the_failures():
    limit = ratelimit.Limit("t:e", 2, WINDOW)
    evaluated = []
    assert [_guess(limit, evaluated=evaluated) for _ in range(3)] == ["wrong", "wrong", "refused"]
    ratelimit.reset("t:e")
    assert _guess(limit, evaluated=evaluated) == "wrong"


def test_an_attempt_refuses_to_be_counted_inside_a_callers_transaction():
    """Its count would be rolled back with the caller's failure."""
    with transaction.atomic(), pytest.raises(RuntimeError):
        ratelimit.take(ratelimit.Limit("t:f", 2, WINDOW))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_thirty_parallel_failures_against_a_limit_of_twenty_evaluate_exactly_twenty():
    limit = ratelimit.Limit("t:parallel", 20, WINDOW)
    evaluated = []
    answers = run_concurrently([lambda: _guess(limit, evaluated=evaluated)] * 30)
    assert (answers.count("wrong"), answers.count("refused")) == (20, 10)
    assert len(evaluated) == 20
    assert _count("t:parallel") == 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_attempts_on_overlapping_keys_neither_deadlock_nor_overshoot():
    account = ratelimit.Limit("t:account", 12, WINDOW)
    clients = [ratelimit.Limit(f"t:client-{i}", 5, WINDOW) for i in range(4)]
    evaluated = []
    answers = run_concurrently(
        [lambda c=clients[i % 4]: _guess(c, account, evaluated=evaluated) for i in range(32)]
    )
    assert set(answers) == {"wrong", "refused"}  # no deadlock error, no other exception
    assert len(evaluated) == answers.count("wrong") == 12
    assert _count("t:account") == 12
    counts = RateCounter.objects.filter(key__startswith="t:client-").values_list("count", flat=True)
    assert sum(counts) == 12
    assert max(counts) <= 5


def test_purge_drops_only_counters_whose_window_and_block_ended_a_day_ago():
    limit = ratelimit.Limit("t:old", 1, WINDOW)
    evaluated = []
    with time_machine.travel(START, tick=False) as traveller:
        _guess(limit, evaluated=evaluated)  # blocked until 9:10
        traveller.shift(dt.timedelta(days=1, minutes=5))
        _guess(ratelimit.Limit("t:recent", 5, WINDOW), evaluated=evaluated)
        assert ratelimit.purge_stale() == 0  # t:old's block ended less than a day ago
        traveller.shift(dt.timedelta(minutes=6))
        assert ratelimit.purge_stale() == 1
        assert list(RateCounter.objects.values_list("key", flat=True)) == ["t:recent"]
        assert _guess(limit, evaluated=evaluated) == "wrong"  # a purged key starts afresh
