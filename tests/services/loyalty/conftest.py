import datetime

import pytest
import time_machine

from services.loyalty.selectors import ledger_audit

T0 = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock():
    """A frozen clock that tests move by hand."""
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def sound_ledger():
    """Asserts after the test that every account balances (the loyalty_audit check)."""
    yield
    assert ledger_audit() == []
