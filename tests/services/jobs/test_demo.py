import io

import pytest

from demo import accounts as accounts_demo
from demo import jobs as demo
from services.jobs.models import JobConsent, Match, Offer

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent_and_shows_a_pipeline():
    accounts_demo.seed(out=io.StringIO())
    demo.seed(out=io.StringIO())
    counts = (Offer.objects.count(), Match.objects.count(), JobConsent.objects.count())
    states = set(Match.objects.values_list("state", flat=True))
    demo.seed(out=io.StringIO())
    assert (Offer.objects.count(), Match.objects.count(), JobConsent.objects.count()) == counts
    assert counts[0] == 8
    assert {"suggested", "interested", "proposed", "interview", "declined", "hired"} <= states


def test_demo_skips_quietly_without_the_landlord():
    out = io.StringIO()
    demo.seed(out=out)
    assert out.getvalue() == ""
    assert not Offer.objects.exists()
