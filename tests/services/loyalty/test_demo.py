import io

import pytest

from demo import accounts as accounts_demo
from demo import loyalty as demo
from services.loyalty.models import Account, EarningRule, Entry, Redemption, Reward
from services.loyalty.selectors import ledger_audit

pytestmark = pytest.mark.django_db


def test_demo_skips_quietly_without_the_accounts_demo():
    out = io.StringIO()
    demo.seed(out=out)
    assert out.getvalue() == ""
    assert Reward.objects.count() == 0


def test_demo_is_idempotent_and_balances():
    accounts_demo.seed(out=io.StringIO())
    demo.seed(out=io.StringIO())
    counts = [m.objects.count() for m in (Reward, EarningRule, Entry, Account, Redemption)]
    demo.seed(out=io.StringIO())
    assert [m.objects.count() for m in (Reward, EarningRule, Entry, Account, Redemption)] == counts
    assert Reward.objects.filter(landlord__slug="iaa").count() == 4
    assert Redemption.objects.count() == 1
    assert Reward.objects.get(kind="pool_code").stock == 30
    assert sorted(Account.objects.values_list("balance", flat=True)) == [95, 140, 210, 210, 270]
    assert ledger_audit() == []
