import io

import pytest

from demo import volunteering as demo
from services.volunteering.models import Mission, Signup

pytestmark = pytest.mark.django_db


def test_demo_skips_quietly_without_the_accounts_demo():
    out = io.StringIO()
    demo.seed(out=out)
    assert out.getvalue() == ""
    assert not Mission.objects.exists()


def test_demo_builds_on_the_accounts_demo_and_loads_again():
    from demo import accounts as accounts_demo

    accounts_demo.seed(out=io.StringIO())
    demo.seed(out=io.StringIO())
    missions = Mission.objects.count()
    signups = Signup.objects.count()
    demo.seed(out=io.StringIO())

    assert missions == 4
    assert signups > 0
    assert Signup.objects.filter(status="waitlisted").exists()
    assert (Mission.objects.count(), Signup.objects.count()) == (missions, signups)
